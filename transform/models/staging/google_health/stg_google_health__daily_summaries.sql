-- One row per athlete, civil date and device: resting heart rate and HRV (the day's average RMSSD, ms) from
-- the daily data types of the device that computed them, and steps: the reconciled step intervals (one stream
-- over all devices, so a phone and a watch are not added up) summed over the civil date they start on.
with points as (
    select * from {{ ref('stg_google_health__data_points') }}
),

dailies as (
    select
        athlete_id,
        device_id,
        data_type,
        payload -> (case data_type
            when 'daily_heart_rate_variability' then 'dailyHeartRateVariability'
            when 'daily_resting_heart_rate' then 'dailyRestingHeartRate'
        end) as daily
    from points
    where data_type in ('daily_heart_rate_variability', 'daily_resting_heart_rate')
),

daily_values as (
    select
        athlete_id,
        device_id,
        make_date(
            cast(daily -> 'date' ->> 'year' as integer),
            cast(daily -> 'date' ->> 'month' as integer),
            cast(daily -> 'date' ->> 'day' as integer)
        ) as local_date,
        max(case when data_type = 'daily_resting_heart_rate' then cast(daily ->> 'beatsPerMinute' as double) end)
            as resting_hr,
        max(case
            when data_type = 'daily_heart_rate_variability'
                then cast(daily ->> 'averageHeartRateVariabilityMilliseconds' as double)
        end) as hrv_rmssd_ms
    from dailies
    group by all
),

steps as (
    select
        athlete_id,
        device_id,
        make_date(
            cast(payload -> 'steps' -> 'interval' -> 'civilStartTime' -> 'date' ->> 'year' as integer),
            cast(payload -> 'steps' -> 'interval' -> 'civilStartTime' -> 'date' ->> 'month' as integer),
            cast(payload -> 'steps' -> 'interval' -> 'civilStartTime' -> 'date' ->> 'day' as integer)
        ) as local_date,
        sum(cast(payload -> 'steps' ->> 'count' as bigint)) as steps
    from points
    where data_type = 'steps'
    group by all
)

select
    athlete_id,
    local_date,
    'google_health' as source,
    device_id,
    {{ within('resting_hr', 25, 150) }} as resting_hr,
    {{ within('hrv_rmssd_ms', 1, 300) }} as hrv_rmssd_ms,
    cast(null as integer) as steps,
    cast(null as double) as active_kcal,
    cast(null as double) as stress_avg
from daily_values
where local_date is not null
union all
select
    athlete_id,
    local_date,
    'google_health' as source,
    device_id,
    cast(null as double) as resting_hr,
    cast(null as double) as hrv_rmssd_ms,
    cast(steps as integer) as steps,
    cast(null as double) as active_kcal,
    cast(null as double) as stress_avg
from steps
where local_date is not null
