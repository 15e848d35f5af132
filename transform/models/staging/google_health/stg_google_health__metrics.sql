-- Google Health values as OpenFit metrics (weight and body fat come through stg_google_health__weigh_ins):
-- heart_rate (bpm, each sample at its time), and the daily values at the start of their civil date in UTC:
-- hrv_rmssd (the day's average RMSSD, ms; never SDNN, which Google reports only on single readings and we
-- leave raw), resting_heart_rate (bpm), spo2 (the night's average %).
with points as (
    select * from {{ ref('stg_google_health__data_points') }}
),

dailies as (
    select
        *,
        payload -> (case data_type
            when 'daily_heart_rate_variability' then 'dailyHeartRateVariability'
            when 'daily_resting_heart_rate' then 'dailyRestingHeartRate'
            when 'daily_oxygen_saturation' then 'dailyOxygenSaturation'
        end) as daily
    from points
    where data_type in ('daily_heart_rate_variability', 'daily_resting_heart_rate', 'daily_oxygen_saturation')
),

dated as (
    select
        *,
        timezone('UTC', cast(make_date(
            cast(daily -> 'date' ->> 'year' as integer),
            cast(daily -> 'date' ->> 'month' as integer),
            cast(daily -> 'date' ->> 'day' as integer)
        ) as timestamp)) as ts
    from dailies
),

unioned as (
    select
        athlete_id, device_id, 'heart_rate' as metric,
        cast(payload -> 'heartRate' -> 'sampleTime' ->> 'physicalTime' as timestamptz) as ts,
        cast(payload -> 'heartRate' ->> 'beatsPerMinute' as double) as value,
        load_id
    from points
    where data_type = 'heart_rate'
    union all
    select
        athlete_id, device_id, 'hrv_rmssd' as metric, ts,
        cast(daily ->> 'averageHeartRateVariabilityMilliseconds' as double) as value, load_id
    from dated
    where data_type = 'daily_heart_rate_variability'
    union all
    select
        athlete_id, device_id, 'resting_heart_rate' as metric, ts,
        cast(daily ->> 'beatsPerMinute' as double) as value, load_id
    from dated
    where data_type = 'daily_resting_heart_rate'
    union all
    select
        athlete_id, device_id, 'spo2' as metric, ts, cast(daily ->> 'averagePercentage' as double) as value, load_id
    from dated
    where data_type = 'daily_oxygen_saturation'
)

select
    athlete_id,
    device_id,
    'google_health' as source,
    metric,
    ts,
    value,
    load_id
from unioned
where value is not null and ts is not null
