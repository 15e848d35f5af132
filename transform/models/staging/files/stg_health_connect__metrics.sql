-- Health Connect time series into metrics: heart rate (the series records' samples), HRV as Health Connect
-- stores it (RMSSD, ms: its own metric), SpO2 (0-100 %), resting heart rate and VO2max. One value per device,
-- metric and instant.
with series as (
    select device_id, 'heart_rate' as metric, ts, beats_per_minute as value, load_id
    from {{ ref('stg_health_connect__heart_rate_samples') }}
    union all
    select
        device_id,
        case record_type
            when 'heart_rate_variability_rmssd' then 'hrv_rmssd'
            when 'oxygen_saturation' then 'spo2'
            when 'resting_heart_rate' then 'resting_heart_rate'
            when 'vo2_max' then 'vo2_max'
        end as metric,
        start_time as ts,
        value,
        load_id
    from {{ ref('stg_health_connect__records') }}
    where
        value is not null
        and record_type in ('heart_rate_variability_rmssd', 'oxygen_saturation', 'resting_heart_rate', 'vo2_max')
),

ranged as (
    -- the metric_types seed's plausible ranges (written out: staging builds without the seeds)
    select *
    from series
    where
        (metric = 'heart_rate' and value between 25 and 250)
        or (metric = 'hrv_rmssd' and value between 1 and 300)
        or (metric = 'spo2' and value between 50 and 100)
        or (metric = 'resting_heart_rate' and value between 25 and 150)
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
