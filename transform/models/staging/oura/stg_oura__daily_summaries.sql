-- One row per athlete and Oura day: steps and active calories from daily_activity; resting heart rate and
-- HRV (RMSSD, ms) from that night's long sleep (Oura's resting HR is the sleep's lowest). Readiness has no
-- OpenFit column yet and stays in raw_oura.daily_readiness.
with activity as (
    select
        athlete,
        cast(day as date) as local_date,
        arg_max({{ json_field('steps', 'integer') }}, _fetched_at) as steps,
        arg_max({{ json_field('active_calories', 'double') }}, _fetched_at) as active_kcal
    from {{ optional_source('raw_oura', 'daily_activity', {
        'athlete': 'varchar', 'day': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz'}) }}
    group by all
),

nights as (
    select
        athlete_id as athlete,
        local_date,
        arg_max(lowest_hr, duration_s) as resting_hr,
        arg_max(hrv_rmssd_ms, duration_s) as hrv_rmssd_ms
    from {{ ref('stg_oura__sleep_sessions') }}
    where sleep_type = 'long_sleep'
    group by all
)

select
    athlete as athlete_id,
    local_date,
    'oura' as source,
    'oura:' || athlete || ':ring' as device_id,
    nights.resting_hr,
    nights.hrv_rmssd_ms,
    activity.steps,
    activity.active_kcal,
    cast(null as double) as stress_avg
from activity
full outer join nights using (athlete, local_date)
