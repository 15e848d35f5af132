{{ config(materialized='table') }}
-- Per athlete, the time span of the metric rows that the loads of this build delivered: openfit.metrics
-- recomputes these windows (every row of the athlete inside the span, so de-duplication across loads stays
-- the full build's). On a full refresh: each athlete's whole span.
select athlete_id, min(ts) as ts_from, max(ts) as ts_to
from {{ ref('int_metrics_unioned') }}
where ts is not null
{%- if not flags.FULL_REFRESH %}
    and {{ pending_load_filter('load_id') }}
{%- endif %}
group by athlete_id
