-- Gadgetbridge daily steps per band: the sum of its minute samples' steps. Gadgetbridge stores no UTC offset
-- with the samples and imported files belong to an athlete in UTC (stg_files__athletes), so the day is the UTC
-- date. Two bands worn on the same day each keep their own row; the daily source priority chooses one.
select
    '{{ var("files_athlete_id") }}' as athlete_id,
    cast(ts at time zone 'UTC' as date) as local_date,
    'files' as source,
    device_id,
    cast(null as double) as resting_hr,
    cast(null as double) as hrv_rmssd_ms,
    sum(steps) as steps,
    cast(null as double) as active_kcal,
    cast(null as double) as stress_avg
from {{ ref('stg_gadgetbridge__samples') }}
where steps is not null
group by device_id, cast(ts at time zone 'UTC' as date)
having sum(steps) > 0
