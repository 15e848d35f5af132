-- Devices of Gadgetbridge databases: one per band (device_key hashes its Bluetooth address, which is never
-- stored), described as the latest export of the database describes it.
with devices as (
    select * from {{ optional_source('raw_files', 'gadgetbridge_device', {
        'file_sha256': 'varchar', 'device_key': 'varchar', 'name': 'varchar', 'manufacturer': 'varchar',
        'type_name': 'varchar', 'model': 'varchar', 'firmware_version': 'varchar', '_dlt_load_id': 'varchar'}) }}
    where device_key is not null
),

exports as (
    select file_sha256, max(latest_sample_at) as latest_sample_at
    from {{ optional_source('raw_files', 'gadgetbridge_export', {
        'file_sha256': 'varchar', 'latest_sample_at': 'timestamptz'}) }}
    group by file_sha256
),

latest as (
    select devices.*
    from devices
    left join exports using (file_sha256)
    qualify row_number() over (
        partition by devices.device_key
        order by exports.latest_sample_at desc nulls last, devices._dlt_load_id desc
    ) = 1
)

select
    'files:' || device_key as device_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    case
        when manufacturer ilike 'huami%' or manufacturer ilike 'zepp%' then 'amazfit'
        else lower(manufacturer)
    end as vendor,
    coalesce(nullif(model, ''), name) as model,
    case
        when name ilike '%ring%' or type_name ilike '%ring%' then 'ring'
        when name ilike '%scale%' or type_name ilike '%scale%' then 'scale'
        else 'watch'
    end as device_type,
    cast(null as varchar) as serial_number,
    device_key as external_id,
    'files' as source
from latest
