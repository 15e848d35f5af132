-- TCX laps, keyed (recording_id, lap_index).
select
    'files:' || file_sha256 || ':' || coalesce(activity_index, 0) as recording_id,
    cast(lap_index as integer) as lap_index,
    start_time,
    coalesce({{ within('total_time_s', 0, 172800) }}, 0) as duration_s,
    {{ within('distance_m', 0, 1000000) }} as distance_m,
    {{ within('avg_heart_rate', 25, 250) }} as avg_hr,
    {{ within('max_heart_rate', 25, 250) }} as max_hr,
    cast(null as double) as avg_power_w,
    case when total_time_s > 0 then {{ within('distance_m / total_time_s', 0, 60) }} end as avg_speed_mps,
    'files' as source,
    calories as kcal
from {{ optional_source('raw_files', 'tcx_lap', {
    'file_sha256': 'varchar', 'activity_index': 'bigint', 'lap_index': 'bigint', 'start_time': 'timestamptz',
    'total_time_s': 'double', 'distance_m': 'double', 'max_speed_m_s': 'double', 'calories': 'double',
    'avg_heart_rate': 'double', 'max_heart_rate': 'double'}) }}
where start_time is not null and lap_index is not null
