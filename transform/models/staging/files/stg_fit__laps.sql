-- FIT laps, attached to the session they start in; lap_index counts from 0 within the recording.
with laps as (
    select * from {{ optional_source('raw_files', 'fit_lap', {
        'file_sha256': 'varchar', 'row_index': 'bigint', 'start_time': 'timestamptz',
        'total_elapsed_time': 'double', 'total_distance': 'double', 'avg_heart_rate': 'double',
        'max_heart_rate': 'double', 'avg_power': 'double', 'avg_speed': 'double',
        'enhanced_avg_speed': 'double'}) }}
    where start_time is not null
),

sessions as (
    select file_sha256, recording_id, start_time from {{ ref('stg_fit__sessions') }}
)

select
    sessions.recording_id,
    cast(row_number() over (partition by sessions.recording_id order by laps.start_time, laps.row_index) - 1
         as integer) as lap_index,
    laps.start_time,
    coalesce({{ within('laps.total_elapsed_time', 0, 172800) }}, 0) as duration_s,
    {{ within('laps.total_distance', 0, 1000000) }} as distance_m,
    {{ within('laps.avg_heart_rate', 25, 250) }} as avg_hr,
    {{ within('laps.max_heart_rate', 25, 250) }} as max_hr,
    {{ within('laps.avg_power', 0, 2500) }} as avg_power_w,
    {{ within('coalesce(laps.enhanced_avg_speed, laps.avg_speed)', 0, 60) }} as avg_speed_mps,
    'files' as source
from laps
asof left join sessions
    on laps.file_sha256 = sessions.file_sha256
    and laps.start_time >= sessions.start_time
where sessions.recording_id is not null
