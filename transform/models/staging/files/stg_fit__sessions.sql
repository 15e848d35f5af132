-- One activity recording per FIT session: a multisport file gives one per sport, linked by
-- multisport_group_id ('files:<sha256>', set only when the file holds several sessions).
-- recording_id = 'files:<sha256>:<session index>'.
with sessions as (
    select * from {{ optional_source('raw_files', 'fit_session', {
        'file_sha256': 'varchar', 'row_index': 'bigint', 'sport': 'varchar', 'sub_sport': 'varchar',
        'start_time': 'timestamptz', 'timestamp': 'timestamptz', 'total_elapsed_time': 'double',
        'total_timer_time': 'double', 'total_distance': 'double', 'total_ascent': 'double',
        'avg_heart_rate': 'double', 'max_heart_rate': 'double', 'avg_power': 'double', 'avg_speed': 'double',
        'enhanced_avg_speed': 'double', 'avg_cadence': 'double', 'total_calories': 'double',
        'start_position_lat': 'double', '_dlt_load_id': 'varchar'}) }}
),

records as (
    select * from {{ optional_source('raw_files', 'fit_record', {
        'file_sha256': 'varchar', 'timestamp': 'timestamptz', 'distance': 'double', 'heart_rate': 'double',
        'power': 'double', 'cadence': 'double', 'position_lat': 'double'}) }}
    where "timestamp" is not null
),

-- A file with records but no session message (truncated, or written by a minimal logger) still is a
-- recording: one session summarised from its records.
derived as (
    select
        file_sha256,
        cast(0 as bigint) as row_index,
        min("timestamp") as start_time,
        max("timestamp") as "timestamp",
        epoch(max("timestamp")) - epoch(min("timestamp")) as total_elapsed_time,
        max(distance) as total_distance,
        avg({{ within('heart_rate', 25, 250) }}) as avg_heart_rate,
        max({{ within('heart_rate', 25, 250) }}) as max_heart_rate,
        avg({{ within('power', 0, 2500) }}) as avg_power,
        avg({{ within('cadence', 0, 300) }}) as avg_cadence,
        any_value(position_lat) filter (where position_lat is not null) as start_position_lat
    from records
    where file_sha256 not in (select file_sha256 from sessions where file_sha256 is not null)
    group by file_sha256
),

all_sessions as (
    select * from sessions
    union all by name
    select * from derived
),

activity as (  -- local time minus UTC, from the activity message (absent in some files)
    select
        file_sha256,
        any_value(epoch(cast("local_timestamp" as timestamp)) - epoch("timestamp")) as utc_offset_s
    from {{ optional_source('raw_files', 'fit_activity', {
        'file_sha256': 'varchar', 'timestamp': 'timestamptz', 'local_timestamp': 'timestamp'}) }}
    group by file_sha256
),

-- The recording device: the file_id's serial, when the file also describes that device (device_info).
recorder as (
    select
        file_id.file_sha256,
        devices.device_id
    from {{ optional_source('raw_files', 'fit_file_id', {
        'file_sha256': 'varchar', 'row_index': 'bigint', 'serial_number': 'bigint', 'manufacturer': 'varchar',
        'product': 'bigint'}) }} as file_id
    inner join {{ ref('stg_fit__devices') }} as devices
        on devices.device_id = 'files:' || coalesce(file_id.manufacturer, 'unknown') || ':'
            || coalesce(cast(file_id.product as varchar), '') || ':' || cast(file_id.serial_number as varchar)
    qualify row_number() over (partition by file_id.file_sha256 order by file_id.row_index) = 1
),

files as (select * from {{ ref('stg_files__imports') }} where format = 'fit'),

shaped as (
    select
        'files:' || sessions.file_sha256 || ':' || sessions.row_index as recording_id,
        sessions.file_sha256 || ':' || sessions.row_index as external_id,
        case when count(*) over (partition by sessions.file_sha256) > 1
            then 'files:' || sessions.file_sha256 end as multisport_group_id,
        sessions.file_sha256,
        sessions.row_index as session_index,
        count(*) over (partition by sessions.file_sha256) as sessions_in_file,
        files.export_name,
        files.export_gear,
        files.export_commute,
        sessions.sport as source_sport,
        sessions.sub_sport,
        sessions.start_time,
        {{ within('sessions.total_elapsed_time', 0, 172800) }} as duration_s,
        {{ within('sessions.total_timer_time', 0, 172800) }} as moving_s,
        sessions.total_distance as distance_m,
        sessions.total_ascent as ascent_m,
        sessions.avg_heart_rate as avg_hr,
        sessions.max_heart_rate as max_hr,
        sessions.avg_power as avg_power_w,
        coalesce(sessions.enhanced_avg_speed, sessions.avg_speed) as avg_speed_mps,
        sessions.avg_cadence,
        sessions.total_calories as kcal,
        sessions.start_position_lat is not null as has_gps,
        sessions.sub_sport in ('indoor_cycling', 'treadmill', 'virtual_activity', 'indoor_running',
                               'indoor_rowing', 'indoor_walking', 'lap_swimming', 'spin') as indoor,
        cast(activity.utc_offset_s as integer) as utc_offset_s,
        recorder.device_id,
        files.imported_at as fetched_at,
        sessions._dlt_load_id as load_id
    from all_sessions as sessions
    left join files using (file_sha256)
    left join activity using (file_sha256)
    left join recorder using (file_sha256)
    where sessions.start_time is not null
)

select
    recording_id,
    external_id,
    multisport_group_id,
    file_sha256,
    session_index,
    '{{ var("files_athlete_id") }}' as athlete_id,
    device_id,
    'files' as source,
    coalesce(
        export_name || case when sessions_in_file > 1 then ' (' || source_sport || ')' else '' end,
        {{ sentence_case("replace(coalesce(source_sport, 'activity'), '_', ' ')") }}
    ) as name,
    export_gear as gear,
    export_commute as commute,
    source_sport,
    sub_sport,
    start_time,
    start_time + to_microseconds(cast(coalesce(duration_s, 0) * 1e6 as bigint)) as end_time,
    case when utc_offset_s between -50400 and 50400 then utc_offset_s end as utc_offset_s,
    cast(start_time at time zone 'UTC'
         + to_seconds(coalesce(case when utc_offset_s between -50400 and 50400 then utc_offset_s end, 0))
         as date) as local_date,
    coalesce(duration_s, 0) as duration_s,
    case when moving_s <= coalesce(duration_s, 0) + 1 then moving_s end as moving_s,
    {{ within('distance_m', 0, 1000000) }} as distance_m,
    {{ within('ascent_m', 0, 20000) }} as ascent_m,
    {{ within('avg_hr', 25, 250) }} as avg_hr,
    {{ within('max_hr', 25, 250) }} as max_hr,
    {{ within('avg_power_w', 0, 2500) }} as avg_power_w,
    {{ within('avg_speed_mps', 0, 60) }} as avg_speed_mps,
    {{ within('avg_cadence', 0, 300) }} as avg_cadence,
    {{ within('kcal', 0, 20000) }} as kcal,
    cast(null as double) as rpe,
    has_gps,
    indoor,
    fetched_at,
    load_id
from shaped
