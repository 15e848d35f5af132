-- One activity recording per Health Connect exercise session (its kept version). Health Connect keeps a session's
-- totals in records of their own: distance (m), active energy (small calories, here kcal) and heart rate of the
-- same device within the session are summed or averaged here. Sport from the session's ExerciseSessionType
-- (the decoder's name, mapped to the files vocabulary of seeds/sport_types.csv).
with sessions as (
    select *
    from {{ ref('stg_health_connect__records') }}
    where record_type = 'exercise_session' and end_time > start_time
),

totals as (
    select
        sessions.uuid,
        sum(case when parts.record_type = 'distance' then parts.value end) as distance_m,
        sum(case when parts.record_type = 'active_calories_burned' then parts.value / 1000 end) as kcal
    from sessions
    inner join {{ ref('stg_health_connect__records') }} as parts
        on
            parts.device_id = sessions.device_id
            and parts.start_time >= sessions.start_time
            and parts.end_time <= sessions.end_time
    where parts.record_type in ('distance', 'active_calories_burned')
    group by sessions.uuid
),

samples as (
    select
        recording_id,
        avg(heart_rate) as avg_hr,
        max(heart_rate) as max_hr,
        bool_or(lat is not null) as has_gps
    from {{ ref('stg_health_connect__activity_samples') }}
    group by recording_id
)

select
    'files:hc:' || sessions.uuid as recording_id,
    sessions.uuid as external_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    sessions.device_id,
    'files' as source,
    coalesce(sessions.title, replace(sessions.sport, '_', ' ')) as name,
    cast(null as varchar) as gear,
    cast(null as boolean) as commute,
    cast(null as varchar) as multisport_group_id,
    case sessions.sport
        when 'treadmill_running' then 'running'
        when 'indoor_cycling' then 'cycling'
        when 'pool_swimming' then 'swimming'
        when 'open_water_swimming' then 'swimming'
        when 'strength_training' then 'training'
        when 'indoor_rowing' then 'rowing'
        else sessions.sport
    end as source_sport,
    sessions.start_time,
    sessions.end_time,
    sessions.start_offset_s as utc_offset_s,
    sessions.local_date,
    {{ within('epoch(sessions.end_time) - epoch(sessions.start_time)', 0, 172800) }} as duration_s,
    cast(null as double) as moving_s,
    {{ within('totals.distance_m', 0, 1000000) }} as distance_m,
    cast(null as double) as ascent_m,
    samples.avg_hr,
    samples.max_hr,
    cast(null as double) as avg_power_w,
    {{ within('totals.distance_m / (epoch(sessions.end_time) - epoch(sessions.start_time))', 0, 60) }}
        as avg_speed_mps,
    cast(null as double) as avg_cadence,
    {{ within('totals.kcal', 0, 20000) }} as kcal,
    cast(null as double) as rpe,
    coalesce(samples.has_gps, false) as has_gps,
    coalesce(sessions.sport in ('treadmill_running', 'indoor_cycling', 'pool_swimming', 'indoor_rowing'), false)
        as indoor,
    sessions.last_modified_time as fetched_at,
    sessions.load_id
from sessions
left join totals on totals.uuid = sessions.uuid
left join samples on samples.recording_id = 'files:hc:' || sessions.uuid
where epoch(sessions.end_time) - epoch(sessions.start_time) <= 172800
