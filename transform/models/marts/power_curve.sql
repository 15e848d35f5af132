-- depends_on: {{ ref('int_marts_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='marts_athletes_predicate',
    on_schema_change='fail',
) }}
-- Mean-maximal power per athlete, window and duration: the best of the per-activity curves that
-- compute/activity_scores_computed.py got from analytics.mean_max (cycling only: running power is another scale).
-- Windows (all_time, 90d, season_YYYY): macros/curves.sql. Grouping only; ties go to the earliest effort.
with {{ curve_windows(
    sport='cycling',
    key_column='duration_s', key_array='power_curve_durations_s',
    value_column='watts', value_array='power_curve_w',
    start_array='power_curve_start_s'
) }}

select
    cast(athlete_id as varchar) as athlete_id,
    cast(window_name as varchar) as "window",
    cast(duration_s as integer) as duration_s,
    cast(max(watts) as double) as watts,
    {{ curve_best_effort('watts desc') }}
from windowed
where watts is not null
group by athlete_id, window_name, duration_s
