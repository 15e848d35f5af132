-- Apple Health records, one row per record_key (the content identity that every export of the account repeats):
-- the version from the latest export wins, so a value edited between two exports (a corrected weight) replaces
-- the old one. Local times come from the UTC offset Apple writes next to each date.
with records as (
    select * from {{ optional_source('raw_files', 'apple_health_record', {
        'file_sha256': 'varchar', 'row_index': 'bigint', 'record_key': 'varchar', 'type': 'varchar',
        'source_name': 'varchar', 'device_key': 'varchar', 'unit': 'varchar', 'value': 'varchar',
        'value_num': 'double', 'start_date': 'timestamptz', 'start_offset_min': 'integer', 'end_date': 'timestamptz',
        'end_offset_min': 'integer', 'creation_date': 'timestamptz', 'metadata': 'varchar',
        '_dlt_load_id': 'varchar'}) }}
    where record_key is not null and start_date is not null and end_date is not null
),

exports as (
    select file_sha256, max(export_date) as export_date
    from {{ optional_source('raw_files', 'apple_health_export', {
        'file_sha256': 'varchar', 'export_date': 'timestamptz'}) }}
    group by file_sha256
)

select
    records.record_key,
    records.type,
    records.source_name,
    'files:' || records.device_key as device_id,
    records.unit,
    records.value,
    records.value_num,
    records.start_date as start_time,
    records.end_date as end_time,
    records.start_offset_min,
    records.end_offset_min,
    (records.start_date at time zone 'UTC') + to_minutes(coalesce(records.start_offset_min, 0)) as local_start,
    (records.end_date at time zone 'UTC') + to_minutes(coalesce(records.end_offset_min, 0)) as local_end,
    cast((records.start_date at time zone 'UTC') + to_minutes(coalesce(records.start_offset_min, 0)) as date)
        as local_date,
    records.metadata,
    records.file_sha256,
    records._dlt_load_id as load_id
from records
left join exports using (file_sha256)
qualify row_number() over (
    partition by records.record_key
    order by exports.export_date desc nulls last, records.creation_date desc nulls last, records.file_sha256 asc,
        records.row_index asc
) = 1
