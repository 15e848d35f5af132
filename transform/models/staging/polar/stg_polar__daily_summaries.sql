-- One row per athlete and local day: steps and active calories (kcal) of Polar's daily activity (its day is
-- the date of its start, device time), HRV (RMSSD, ms) of the Nightly Recharge of the night ending that day.
-- Resting heart rate: AccessLink reports none (the Nightly Recharge's heart_rate_avg is the mean over four
-- hours of sleep, kept in raw_polar.nightly_recharge and as the sleep's average), so it stays null.
with activity as (
    select
        athlete,
        date,
        {{ json_field('steps', 'integer') }} as steps,
        {{ json_field('active_calories', 'double') }} as active_kcal
    from {{ optional_source('raw_polar', 'activity', {'athlete': 'varchar', 'date': 'date', 'payload': 'json'}) }}
),

recharge as (
    select athlete, date, {{ json_field('heart_rate_variability_avg', 'double') }} as hrv_rmssd_ms
    from {{ optional_source('raw_polar', 'nightly_recharge', {
        'athlete': 'varchar', 'date': 'date', 'payload': 'json'}) }}
),

days as (
    select athlete, date from activity
    union
    select athlete, date from recharge
)

select
    days.athlete as athlete_id,
    days.date as local_date,
    'polar' as source,
    'polar:' || days.athlete || ':account' as device_id,
    cast(null as double) as resting_hr,
    {{ within('recharge.hrv_rmssd_ms', 1, 300) }} as hrv_rmssd_ms,
    {{ within('activity.steps', 0, 200000) }} as steps,
    {{ within('activity.active_kcal', 0, 20000) }} as active_kcal,
    cast(null as double) as stress_avg
from days
left join activity on activity.athlete = days.athlete and activity.date = days.date
left join recharge on recharge.athlete = days.athlete and recharge.date = days.date
