-- Health Connect daily totals per device (each app's device is its own device): steps, active energy (stored in
-- small calories, here kcal), resting heart rate and HRV RMSSD, on the local date the record starts. A phone app
-- and a watch count the same walk: each stays its own row and the daily source priority chooses one.
select
    '{{ var("files_athlete_id") }}' as athlete_id,
    local_date,
    'files' as source,
    device_id,
    avg(case when record_type = 'resting_heart_rate' then value end) as resting_hr,
    avg(case when record_type = 'heart_rate_variability_rmssd' then value end) as hrv_rmssd_ms,
    sum(case when record_type = 'steps' then value end) as steps,
    sum(case when record_type = 'active_calories_burned' then value / 1000 end) as active_kcal,
    cast(null as double) as stress_avg
from {{ ref('stg_health_connect__records') }}
where
    record_type in ('steps', 'active_calories_burned', 'resting_heart_rate', 'heart_rate_variability_rmssd')
    and value is not null
group by local_date, device_id
