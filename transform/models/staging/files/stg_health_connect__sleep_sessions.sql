-- Health Connect sleep sessions (their kept version) with the time in each stage, the night's HRV RMSSD and
-- respiratory rate (the same device's readings within the session) and its heart rate (the series samples within
-- it). A night belongs to the local date on which it ends (the zone offset stored with its end).
with sessions as (
    select *
    from {{ ref('stg_health_connect__records') }}
    where record_type = 'sleep_session' and end_time > start_time
),

stages as (
    select
        sleep_id,
        sum(case when stage = 'deep' then duration_s end) as deep_s,
        sum(case when stage = 'light' then duration_s end) as light_s,
        sum(case when stage = 'rem' then duration_s end) as rem_s,
        sum(case when stage = 'awake' then duration_s end) as awake_s
    from {{ ref('stg_health_connect__sleep_stages') }}
    group by sleep_id
),

readings as (
    select
        sessions.uuid,
        avg(case when readings.record_type = 'heart_rate_variability_rmssd' then readings.value end)
            as hrv_rmssd_ms,
        avg(case when readings.record_type = 'respiratory_rate' then readings.value end) as respiration_rate
    from sessions
    inner join {{ ref('stg_health_connect__records') }} as readings
        on
            readings.device_id = sessions.device_id
            and readings.start_time between sessions.start_time and sessions.end_time
    where readings.record_type in ('heart_rate_variability_rmssd', 'respiratory_rate')
    group by sessions.uuid
),

heart_rate as (
    select
        sessions.uuid,
        avg(samples.beats_per_minute) as avg_hr,
        cast(min(samples.beats_per_minute) as integer) as lowest_hr
    from sessions
    inner join {{ ref('stg_health_connect__heart_rate_samples') }} as samples
        on
            samples.device_id = sessions.device_id
            and samples.ts between sessions.start_time and sessions.end_time
    group by sessions.uuid
)

select
    'files:' || sessions.uuid as sleep_id,
    sessions.uuid as external_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    sessions.device_id,
    'files' as source,
    sessions.start_time,
    sessions.end_time,
    sessions.end_offset_s as utc_offset_s,
    cast(sessions.local_end as date) as local_date,
    epoch(sessions.end_time) - epoch(sessions.start_time) as duration_s,
    stages.deep_s,
    stages.light_s,
    stages.rem_s,
    stages.awake_s,
    cast(null as double) as score,
    heart_rate.avg_hr,
    heart_rate.lowest_hr,
    readings.hrv_rmssd_ms,
    readings.respiration_rate
from sessions
left join stages on stages.sleep_id = 'files:' || sessions.uuid
left join readings on readings.uuid = sessions.uuid
left join heart_rate on heart_rate.uuid = sessions.uuid
where epoch(sessions.end_time) - epoch(sessions.start_time) between 60 and 86400
