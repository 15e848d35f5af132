-- Samples of Health Connect exercise sessions (their kept version): the route's points (degrees, altitude m)
-- and the same device's heart-rate samples within the session, one row per instant (a route point and a heart
-- rate at the same instant share it). recording_id = 'files:hc:' || the session's uuid.
with sessions as (
    select uuid, device_id, start_time, end_time, last_modified_time
    from {{ ref('stg_health_connect__records') }}
    where record_type = 'exercise_session' and end_time > start_time
),

route as (
    select
        'files:hc:' || sessions.uuid as recording_id,
        points.time as ts,
        {{ within('points.latitude', -90, 90) }} as lat,
        {{ within('points.longitude', -180, 180) }} as lon,
        {{ within('points.altitude', -500, 9000) }} as altitude_m,
        points._dlt_load_id as load_id
    from {{ optional_source('raw_files', 'health_connect_exercise_route', {
        'record_uuid': 'varchar', 'last_modified_time': 'timestamptz', 'time': 'timestamptz',
        'latitude': 'double', 'longitude': 'double', 'altitude': 'double', '_dlt_load_id': 'varchar'}) }} as points
    inner join sessions
        on
            sessions.uuid = points.record_uuid
            and sessions.last_modified_time = points.last_modified_time
    where points.time is not null
    qualify row_number() over (partition by sessions.uuid, points.time order by points._dlt_load_id desc) = 1
),

heart_rate as (
    select
        'files:hc:' || sessions.uuid as recording_id,
        samples.ts,
        samples.beats_per_minute,
        samples.load_id
    from {{ ref('stg_health_connect__heart_rate_samples') }} as samples
    inner join sessions
        on
            samples.device_id = sessions.device_id
            and samples.ts between sessions.start_time and sessions.end_time
    qualify row_number() over (partition by sessions.uuid, samples.ts order by samples.load_id desc) = 1
)

select
    coalesce(route.recording_id, heart_rate.recording_id) as recording_id,
    coalesce(route.ts, heart_rate.ts) as ts,
    cast({{ within('heart_rate.beats_per_minute', 25, 250) }} as smallint) as heart_rate,
    cast(null as smallint) as power_w,
    cast(null as double) as speed_mps,
    cast(null as smallint) as cadence,
    route.altitude_m,
    route.lat,
    route.lon,
    cast(null as double) as distance_m,
    cast(null as smallint) as temperature_c,
    coalesce(route.load_id, heart_rate.load_id) as load_id
from route
full outer join heart_rate
    on
        heart_rate.recording_id = route.recording_id
        and heart_rate.ts = route.ts
