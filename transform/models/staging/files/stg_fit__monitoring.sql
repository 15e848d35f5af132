-- All-day series from FIT monitoring/wellness files: heart rate (monitoring messages), stress
-- (stress_level messages, 0-100; negative values are "no reading") and the overnight 5-minute HRV (RMSSD,
-- hrv_value messages). Shaped like the intraday metrics.
with heart_rate as (
    select "timestamp" as ts, heart_rate as value, _dlt_load_id as load_id
    from {{ optional_source('raw_files', 'fit_monitoring', {
        'timestamp': 'timestamptz', 'heart_rate': 'double', '_dlt_load_id': 'varchar'}) }}
    where "timestamp" is not null and heart_rate between 25 and 250
),

stress as (
    select stress_level_time as ts, stress_level_value as value, _dlt_load_id as load_id
    from {{ optional_source('raw_files', 'fit_stress_level', {
        'stress_level_time': 'timestamptz', 'stress_level_value': 'double', '_dlt_load_id': 'varchar'}) }}
    where stress_level_time is not null and stress_level_value between 0 and 100
),

hrv as (
    select "timestamp" as ts, "value" as value, _dlt_load_id as load_id
    from {{ optional_source('raw_files', 'fit_hrv_value', {
        'timestamp': 'timestamptz', 'value': 'double', '_dlt_load_id': 'varchar'}) }}
    where "timestamp" is not null and "value" between 1 and 300
),

unioned as (
    select 'heart_rate' as metric, ts, value, load_id from heart_rate
    union all
    select 'stress' as metric, ts, value, load_id from stress
    union all
    select 'hrv_rmssd' as metric, ts, value, load_id from hrv
)

select
    '{{ var("files_athlete_id") }}' as athlete_id,
    cast(null as varchar) as device_id,
    'files' as source,
    metric,
    ts,
    value,
    load_id
from unioned
qualify row_number() over (partition by metric, ts order by value) = 1
