-- Health Connect records, one row per uuid (the record's id in the store, repeated by every export): the version
-- with the latest last_modified_time wins (an edit in the app advances it), so a value edited between two exports
-- replaces the old one. Local times come from the zone offsets Health Connect stores with each time.
with records as (
    select * from {{ optional_source('raw_files', 'health_connect_record', {
        'file_sha256': 'varchar', 'row_index': 'bigint', 'record_type': 'varchar', 'uuid': 'varchar',
        'app_package': 'varchar', 'device_key': 'varchar', 'start_time': 'timestamptz', 'start_offset_s': 'integer',
        'end_time': 'timestamptz', 'end_offset_s': 'integer', 'value': 'double', 'unit': 'varchar',
        'last_modified_time': 'timestamptz', 'recording_method': 'varchar', 'title': 'varchar', 'notes': 'varchar',
        'exercise_type': 'integer', 'sport': 'varchar', '_dlt_load_id': 'varchar'}) }}
    where uuid is not null and start_time is not null and end_time is not null
)

select
    uuid,
    record_type,
    app_package,
    'files:' || device_key as device_id,
    value,
    unit,
    start_time,
    end_time,
    start_offset_s,
    end_offset_s,
    (start_time at time zone 'UTC') + to_seconds(coalesce(start_offset_s, 0)) as local_start,
    (end_time at time zone 'UTC') + to_seconds(coalesce(end_offset_s, 0)) as local_end,
    cast((start_time at time zone 'UTC') + to_seconds(coalesce(start_offset_s, 0)) as date) as local_date,
    last_modified_time,
    recording_method,
    title,
    notes,
    exercise_type,
    sport,
    file_sha256,
    _dlt_load_id as load_id
from records
qualify row_number() over (
    partition by uuid order by last_modified_time desc nulls last, file_sha256 asc, row_index asc
) = 1
