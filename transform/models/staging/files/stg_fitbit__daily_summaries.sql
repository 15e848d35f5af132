-- Fitbit daily values on the local date Fitbit gives them: resting heart rate (resting_heart_rate-*.json, 0 on
-- days without an estimate), the night's RMSSD (Daily Heart Rate Variability Summary) and the day's steps (sum
-- of the minute steps). Fitbit's calories are total, not active: not mapped to active_kcal.
with resting as (
    select
        cast(local_date as date) as local_date,
        arg_max(value, _dlt_load_id) as resting_hr
    from {{ optional_source('raw_files', 'fitbit_resting_heart_rate', {
        'local_date': 'varchar', 'value': 'double', '_dlt_load_id': 'varchar'}) }}
    where local_date is not null and value between 25 and 150
    group by 1
),

hrv as (
    select
        cast(cast(local_time as timestamp) as date) as local_date,
        arg_max(rmssd, _dlt_load_id) as hrv_rmssd_ms
    from {{ optional_source('raw_files', 'fitbit_hrv_daily', {
        'local_time': 'varchar', 'rmssd': 'double', '_dlt_load_id': 'varchar'}) }}
    where local_time is not null and rmssd between 1 and 300
    group by 1
),

minute_steps as (
    -- a re-imported changed file repeats minutes: one value per minute, the latest load's
    select local_time, arg_max(value, _dlt_load_id) as steps
    from {{ optional_source('raw_files', 'fitbit_steps', {
        'local_time': 'varchar', 'value': 'double', '_dlt_load_id': 'varchar'}) }}
    where local_time is not null and value >= 0
    group by 1
),

steps as (
    select cast(cast(local_time as timestamp) as date) as local_date, sum(steps) as steps
    from minute_steps
    group by 1
),

days as (
    select local_date from resting
    union
    select local_date from hrv
    union
    select local_date from steps
)

select
    '{{ var("files_athlete_id") }}' as athlete_id,
    days.local_date,
    'files' as source,
    'files:fitbit:account' as device_id,
    resting.resting_hr,
    hrv.hrv_rmssd_ms,
    steps.steps,
    cast(null as double) as active_kcal,
    cast(null as double) as stress_avg
from days
left join resting using (local_date)
left join hrv using (local_date)
left join steps using (local_date)
