-- Devices named in FIT files: the recording device ('creator' or index 0) and every sensor with a serial
-- number. device_id = 'files:<manufacturer>:<product>:<serial>' so the same device across files is one row.
with devices as (
    select * from {{ optional_source('raw_files', 'fit_device_info', {
        'file_sha256': 'varchar', 'serial_number': 'bigint', 'manufacturer': 'varchar', 'product': 'bigint',
        'device_index': 'varchar', 'device_type': 'bigint', 'source_type': 'varchar'}) }}
    where serial_number is not null
)

select
    'files:' || coalesce(manufacturer, 'unknown') || ':' || coalesce(cast(product as varchar), '')
        || ':' || cast(serial_number as varchar) as device_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    any_value(manufacturer) as vendor,
    any_value(cast(product as varchar)) as model,
    -- ANT+ device types: 120 heart rate, 11 bike power, 119 weight scale; the recorder's own kind is unknown
    case any_value(device_type) when 120 then 'chest_strap' when 11 then 'power_meter' when 119 then 'scale'
        else 'other' end as device_type,
    cast(serial_number as varchar) as serial_number,
    cast(serial_number as varchar) as external_id,
    'files' as source
from devices
group by all
