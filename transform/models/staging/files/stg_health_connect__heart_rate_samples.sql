-- Samples of the heart-rate series records stg_health_connect__records keeps (the samples of the record's kept
-- version: a record edited between two exports brings its samples again with its new last_modified_time).
select
    records.uuid as record_uuid,
    records.device_id,
    samples.time as ts,
    cast(samples.beats_per_minute as double) as beats_per_minute,
    samples._dlt_load_id as load_id
from {{ optional_source('raw_files', 'health_connect_heart_rate_sample', {
    'record_uuid': 'varchar', 'last_modified_time': 'timestamptz', 'time': 'timestamptz',
    'beats_per_minute': 'integer', '_dlt_load_id': 'varchar'}) }} as samples
inner join {{ ref('stg_health_connect__records') }} as records
    on
        records.uuid = samples.record_uuid
        and records.last_modified_time = samples.last_modified_time
where records.record_type = 'heart_rate' and samples.time is not null
qualify row_number() over (partition by records.uuid, samples.time order by samples._dlt_load_id desc) = 1
