-- depends_on: {{ ref('int_marts_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='marts_athletes_predicate',
    on_schema_change='fail',
) }}
-- Personal records per athlete and sport, across every source (activities are the merged, canonical workouts):
-- best power over 5 s / 1 / 5 / 20 / 60 min (cycling, from power_curve), best times over race distances
-- (running, from pace_curve), and the longest activity by distance and by time for every sport.
-- Selection only; ties go to the earliest activity.
with power as (
    select
        athlete_id,
        'cycling' as sport,
        'best_' || case duration_s
            when 5 then '5s' when 60 then '1min' when 300 then '5min' when 1200 then '20min' when 3600 then '60min'
        end || '_power_w' as record_type,
        watts as value,
        'W' as unit,
        activity_id,
        "date"
    from {{ ref('power_curve') }}
    where "window" = 'all_time' and duration_s in (5, 60, 300, 1200, 3600)
),

runs as (
    select
        athlete_id,
        'running' as sport,
        'best_' || case distance_m
            when 400 then '400m' when 1000 then '1k' when 1609.344 then 'mile' when 3000 then '3k'
            when 5000 then '5k' when 10000 then '10k' when 15000 then '15k' when 21097.5 then 'half_marathon'
            when 42195 then 'marathon' else cast(distance_m as varchar) || 'm'
        end || '_s' as record_type,
        time_s as value,
        's' as unit,
        activity_id,
        "date"
    from {{ ref('pace_curve') }}
    where "window" = 'all_time'
),

longest as (
    select
        athlete_id,
        sport,
        'longest_' || sport || '_' || measure as record_type,
        first(value order by value desc, local_date asc, activity_id asc) as value,
        measure as unit,
        first(activity_id order by value desc, local_date asc, activity_id asc) as activity_id,
        first(local_date order by value desc, local_date asc, activity_id asc) as "date"
    from (
        select athlete_id, sport, activity_id, local_date, 'm' as measure, distance_m as value
        from {{ ref('activities') }}
        union all
        select athlete_id, sport, activity_id, local_date, 's' as measure, duration_s as value
        from {{ ref('activities') }}
    )
    where value is not null and value > 0
    group by athlete_id, sport, measure
)

select
    cast(athlete_id as varchar) as athlete_id,
    cast(sport as varchar) as sport,
    cast(record_type as varchar) as record_type,
    cast(value as double) as value,
    cast(unit as varchar) as unit,
    cast(activity_id as varchar) as activity_id,
    cast("date" as date) as "date"
from (
    select * from power
    union all
    select * from runs
    union all
    select * from longest
) as records
{%- if is_incremental() %}
where {{ marts_athletes_predicate() }}
{%- endif %}
