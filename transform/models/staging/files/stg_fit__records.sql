-- FIT samples, keyed (recording_id, ts): each record goes to the session it falls in (multisport files have
-- several), by an as-of join on the session start. Impossible values are nulled (the decoder already nulls
-- most); a repeated timestamp keeps its first record.
with records as (
    select * from {{ optional_source('raw_files', 'fit_record', {
        'file_sha256': 'varchar', 'row_index': 'bigint', 'timestamp': 'timestamptz', 'heart_rate': 'double',
        'power': 'double', 'speed': 'double', 'cadence': 'double', 'altitude': 'double',
        'position_lat': 'double', 'position_long': 'double', 'distance': 'double', 'temperature': 'double',
        '_dlt_load_id': 'varchar'}) }}
    where "timestamp" is not null
        -- a corrupt timestamp decoded decades ahead (seen in the wild: 2085) is not a sample
        and "timestamp" <= current_timestamp + interval 1 day
),

sessions as (
    select file_sha256, recording_id, start_time from {{ ref('stg_fit__sessions') }}
)

select
    sessions.recording_id,
    records."timestamp" as ts,
    cast({{ within('records.heart_rate', 25, 250) }} as smallint) as heart_rate,
    cast({{ within('records.power', 0, 2500) }} as smallint) as power_w,
    {{ within('records.speed', 0, 60) }} as speed_mps,
    cast({{ within('records.cadence', 0, 300) }} as smallint) as cadence,
    {{ within('records.altitude', -500, 9000) }} as altitude_m,
    {{ within('records.position_lat', -90, 90) }} as lat,
    {{ within('records.position_long', -180, 180) }} as lon,
    {{ within('records.distance', 0, 1000000) }} as distance_m,
    cast({{ within('records.temperature', -50, 60) }} as smallint) as temperature_c,
    records._dlt_load_id as load_id
from records
asof left join sessions
    on records.file_sha256 = sessions.file_sha256
    and records."timestamp" >= sessions.start_time
where sessions.recording_id is not null
qualify row_number() over (
    partition by sessions.recording_id, records."timestamp", records._dlt_load_id order by records.row_index
) = 1
