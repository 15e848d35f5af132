-- Fastest time per athlete, window and distance for runs: the best of the per-activity best efforts that
-- compute/marts_activity_scores.py got from analytics.best_efforts. Windows as in power_curve (all_time, 90d,
-- season_YYYY). Grouping only (pace is the same time expressed per km); ties go to the earliest effort.
with as_of as (
    select max("date") as as_of_date from {{ ref('daily_training_load') }}
),

efforts as (
    select
        athlete_id,
        activity_id,
        local_date,
        unnest(best_effort_distances_m) as distance_m,
        unnest(best_effort_s) as time_s,
        unnest(best_effort_start_s) as start_offset_s
    from {{ ref('marts_activity_scores') }}
    where activity_id in (select activity_id from {{ ref('activities') }}) and sport = 'running'
),

windowed as (
    select 'all_time' as window_name, e.* from efforts e
    union all
    select '90d', e.* from efforts e, as_of
    where e.local_date > as_of.as_of_date - 90 and e.local_date <= as_of.as_of_date
    union all
    select 'season_' || cast(year(e.local_date) as varchar), e.* from efforts e
)

select
    cast(athlete_id as varchar) as athlete_id,
    cast(window_name as varchar) as "window",
    cast(distance_m as double) as distance_m,
    cast(min(time_s) as double) as time_s,
    cast(min(time_s) / distance_m * 1000 as double) as pace_s_per_km,
    cast(first(activity_id order by time_s, local_date, activity_id) as varchar) as activity_id,
    cast(first(local_date order by time_s, local_date, activity_id) as date) as "date",
    cast(first(start_offset_s order by time_s, local_date, activity_id) as integer) as start_offset_s,
    cast(count(distinct activity_id) as integer) as activities
from windowed
where time_s is not null
group by athlete_id, window_name, distance_m
