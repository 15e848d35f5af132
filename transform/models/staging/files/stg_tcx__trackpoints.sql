-- TCX trackpoints as samples; one recording per activity of a file: 'files:<sha256>:<activity index>'.
select
    'files:' || file_sha256 || ':' || coalesce(activity_index, 0) as recording_id,
    "timestamp" as ts,
    cast({{ within('heart_rate', 25, 250) }} as smallint) as heart_rate,
    cast({{ within('power', 0, 2500) }} as smallint) as power_w,
    {{ within('speed', 0, 60) }} as speed_mps,
    cast({{ within('cadence', 0, 300) }} as smallint) as cadence,
    {{ within('altitude', -500, 9000) }} as altitude_m,
    {{ within('position_lat', -90, 90) }} as lat,
    {{ within('position_long', -180, 180) }} as lon,
    {{ within('distance', 0, 1000000) }} as distance_m,
    cast({{ within('temperature', -50, 60) }} as smallint) as temperature_c,
    _dlt_load_id as load_id
from {{ optional_source('raw_files', 'tcx_record', {
    'file_sha256': 'varchar', 'row_index': 'bigint', 'activity_index': 'bigint', 'timestamp': 'timestamptz',
    'heart_rate': 'double', 'power': 'double', 'speed': 'double', 'cadence': 'double', 'altitude': 'double',
    'position_lat': 'double', 'position_long': 'double', 'distance': 'double', 'temperature': 'double',
    '_dlt_load_id': 'varchar'}) }}
-- Points without a time (the decoder keeps them raw with a NULL timestamp and marks the file partial) cannot
-- be samples; a time before 1980 predates consumer GPS and is an unset device clock.
where "timestamp" is not null
    and "timestamp" >= timestamptz '1980-01-01 00:00:00+00'
qualify row_number() over (partition by recording_id, "timestamp", load_id order by row_index) = 1
