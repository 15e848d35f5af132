{#- Two recordings' time intervals (start_time, end_time of relations `a` and `b`) overlap by at least half of the
    shorter one, and neither is empty: the test for "the same workout" (int_activity_recordings_matched). -#}
{% macro overlaps_half_of_shorter(a, b) -%}
(
    epoch(least({{ a }}.end_time, {{ b }}.end_time)) - epoch(greatest({{ a }}.start_time, {{ b }}.start_time))
        >= 0.5 * least(epoch({{ a }}.end_time) - epoch({{ a }}.start_time),
                       epoch({{ b }}.end_time) - epoch({{ b }}.start_time))
    and least(epoch({{ a }}.end_time) - epoch({{ a }}.start_time),
              epoch({{ b }}.end_time) - epoch({{ b }}.start_time)) > 0
)
{%- endmacro %}
