-- depends_on: {{ ref('int_marts_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='marts_athletes_predicate',
    on_schema_change='fail',
) }}
-- Fastest time per athlete, window and distance for runs: the best of the per-activity best efforts that
-- compute/activity_scores_computed.py got from analytics.best_efforts. Windows as in power_curve (all_time, 90d,
-- season_YYYY; macros/curves.sql). Grouping only (pace is the same time expressed per km); ties go to the
-- earliest effort.
with {{ curve_windows(
    sport='running',
    key_column='distance_m', key_array='best_effort_distances_m',
    value_column='time_s', value_array='best_effort_s',
    start_array='best_effort_start_s'
) }}

select
    cast(athlete_id as varchar) as athlete_id,
    cast(window_name as varchar) as "window",
    cast(distance_m as double) as distance_m,
    cast(min(time_s) as double) as time_s,
    cast(min(time_s) / distance_m * 1000 as double) as pace_s_per_km,
    {{ curve_best_effort('time_s asc') }}
from windowed
where time_s is not null
group by athlete_id, window_name, distance_m
