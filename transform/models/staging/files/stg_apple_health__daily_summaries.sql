-- Apple Health daily totals per device: steps, active energy (kcal; kJ converted) and resting heart rate, on
-- the local date the record starts. The phone and the watch count the same walk: each stays its own row (its
-- own device), and the daily source priority (seeds/daily_source_priority.csv) chooses one, so a walk counts
-- once.
select
    '{{ var("files_athlete_id") }}' as athlete_id,
    local_date,
    'files' as source,
    device_id,
    avg(case when type = 'HKQuantityTypeIdentifierRestingHeartRate' then value_num end) as resting_hr,
    cast(null as double) as hrv_rmssd_ms,
    sum(case when type = 'HKQuantityTypeIdentifierStepCount' then value_num end) as steps,
    sum(case when type = 'HKQuantityTypeIdentifierActiveEnergyBurned' then
        case unit when 'kJ' then value_num / 4.184 else value_num end end) as active_kcal,
    cast(null as double) as stress_avg
from {{ ref('stg_apple_health__records') }}
where type in (
    'HKQuantityTypeIdentifierStepCount', 'HKQuantityTypeIdentifierActiveEnergyBurned',
    'HKQuantityTypeIdentifierRestingHeartRate'
) and value_num is not null
group by local_date, device_id
