-- Laps of Health Connect exercise sessions (their kept version), keyed (recording_id, lap_index): lap_index
-- numbers a session's laps by their start; length in m.
select
    'files:hc:' || sessions.uuid as recording_id,
    cast(row_number() over (partition by sessions.uuid order by laps.start_time) - 1 as integer) as lap_index,
    laps.start_time,
    coalesce({{ within('epoch(laps.end_time) - epoch(laps.start_time)', 0, 172800) }}, 0) as duration_s,
    {{ within('laps.length_m', 0, 1000000) }} as distance_m,
    cast(null as double) as avg_hr,
    cast(null as double) as max_hr,
    cast(null as double) as avg_power_w,
    case when laps.end_time > laps.start_time
        then {{ within('laps.length_m / (epoch(laps.end_time) - epoch(laps.start_time))', 0, 60) }}
    end as avg_speed_mps,
    'files' as source
from {{ optional_source('raw_files', 'health_connect_exercise_lap', {
    'record_uuid': 'varchar', 'last_modified_time': 'timestamptz', 'start_time': 'timestamptz',
    'end_time': 'timestamptz', 'length_m': 'double'}) }} as laps
inner join {{ ref('stg_health_connect__records') }} as sessions
    on
        sessions.uuid = laps.record_uuid
        and sessions.last_modified_time = laps.last_modified_time
where sessions.record_type = 'exercise_session' and laps.start_time is not null
