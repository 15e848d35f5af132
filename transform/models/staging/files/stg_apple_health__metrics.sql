-- Apple Health time series into metrics: heart rate, HRV as Apple reports it (SDNN, its own metric: not
-- comparable with RMSSD), blood oxygen (Apple writes a fraction with unit '%') and VO2max. One value per
-- device, metric and instant.
with series as (
    select
        device_id,
        case type
            when 'HKQuantityTypeIdentifierHeartRate' then 'heart_rate'
            when 'HKQuantityTypeIdentifierHeartRateVariabilitySDNN' then 'hrv_sdnn'
            when 'HKQuantityTypeIdentifierOxygenSaturation' then 'spo2'
            when 'HKQuantityTypeIdentifierVO2Max' then 'vo2_max'
        end as metric,
        start_time as ts,
        case
            when type = 'HKQuantityTypeIdentifierOxygenSaturation' and value_num <= 1 then value_num * 100
            else value_num
        end as value,
        load_id
    from {{ ref('stg_apple_health__records') }}
    where value_num is not null
        and type in (
            'HKQuantityTypeIdentifierHeartRate', 'HKQuantityTypeIdentifierHeartRateVariabilitySDNN',
            'HKQuantityTypeIdentifierOxygenSaturation', 'HKQuantityTypeIdentifierVO2Max'
        )
),

ranged as (
    -- the metric_types seed's plausible ranges (written out: staging builds without the seeds)
    select *
    from series
    where (metric = 'heart_rate' and value between 25 and 250)
        or (metric = 'hrv_sdnn' and value between 1 and 300)
        or (metric = 'spo2' and value between 50 and 100)
        or (metric = 'vo2_max' and value between 10 and 100)
)

select
    '{{ var("files_athlete_id") }}' as athlete_id,
    device_id,
    'files' as source,
    metric,
    ts,
    value,
    load_id
from ranged
qualify row_number() over (partition by device_id, metric, ts order by value) = 1
