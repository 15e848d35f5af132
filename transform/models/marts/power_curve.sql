-- Mean-maximal power per athlete, window and duration: the best of the per-activity curves that
-- compute/marts_activity_scores.py got from analytics.mean_max (cycling only: running power is another scale).
-- Windows: all_time; 90d = the 90 days ending on the as-of date (the last date of daily_training_load);
-- season_YYYY = calendar year YYYY. Grouping only; ties go to the earliest effort.
with as_of as (
    select max("date") as as_of_date from {{ ref('daily_training_load') }}
),

efforts as (
    select
        athlete_id,
        activity_id,
        local_date,
        unnest(power_curve_durations_s) as duration_s,
        unnest(power_curve_w) as watts,
        unnest(power_curve_start_s) as start_offset_s
    from {{ ref('marts_activity_scores') }}
    where activity_id in (select activity_id from {{ ref('activities') }}) and sport = 'cycling'
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
    cast(duration_s as integer) as duration_s,
    cast(max(watts) as double) as watts,
    cast(first(activity_id order by watts desc, local_date, activity_id) as varchar) as activity_id,
    cast(first(local_date order by watts desc, local_date, activity_id) as date) as "date",
    cast(first(start_offset_s order by watts desc, local_date, activity_id) as integer) as start_offset_s,
    cast(count(distinct activity_id) as integer) as activities
from windowed
where watts is not null
group by athlete_id, window_name, duration_s
