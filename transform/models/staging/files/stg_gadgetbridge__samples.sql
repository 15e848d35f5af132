-- Gadgetbridge minute samples (every *_ACTIVITY_SAMPLE table of its database), one row per device, family table
-- and minute: the version of the latest export of the database wins (raw_files.gadgetbridge_export orders them by
-- their latest sample), so a minute a later sync rewrote replaces the earlier value instead of doubling it.
-- Times are UTC (Gadgetbridge writes unix seconds and no offset); heart rate 0/255 ("no value") is NULL already.
with samples as (
    select * from {{ optional_source('raw_files', 'gadgetbridge_activity_sample', {
        'file_sha256': 'varchar', 'row_index': 'bigint', 'sample_table': 'varchar', 'device_key': 'varchar',
        'timestamp': 'timestamptz', 'steps': 'integer', 'heart_rate': 'integer', 'raw_kind': 'bigint',
        'raw_intensity': 'integer', 'activity_kind': 'varchar', '_dlt_load_id': 'varchar'}) }}
    -- a band whose clock was never set writes 1970: not a time
    where device_key is not null and "timestamp" >= timestamptz '2000-01-01 00:00:00+00'
),

exports as (
    select file_sha256, max(latest_sample_at) as latest_sample_at
    from {{ optional_source('raw_files', 'gadgetbridge_export', {
        'file_sha256': 'varchar', 'latest_sample_at': 'timestamptz'}) }}
    group by file_sha256
)

select
    'files:' || samples.device_key as device_id,
    samples.sample_table,
    samples."timestamp" as ts,
    samples.steps,
    samples.heart_rate,
    samples.raw_kind,
    samples.raw_intensity,
    samples.activity_kind,
    samples.file_sha256,
    samples._dlt_load_id as load_id
from samples
left join exports using (file_sha256)
qualify row_number() over (
    partition by samples.device_key, samples.sample_table, samples."timestamp"
    order by exports.latest_sample_at desc nulls last, samples._dlt_load_id desc, samples.row_index desc
) = 1
