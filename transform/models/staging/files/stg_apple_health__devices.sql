-- Devices of Apple Health exports: one per real device (the key leaves out the HKDevice memory address, so one
-- watch is one device across records and exports); a phone and a watch are different devices and types.
select
    'files:' || device_key as device_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    case when any_value(manufacturer) ilike 'apple%' then 'apple' else lower(any_value(manufacturer)) end as vendor,
    coalesce(any_value(hardware), any_value(model), any_value(name)) as model,
    case
        when lower(any_value(model)) = 'watch' or any_value(name) ilike '%watch%' then 'watch'
        when lower(any_value(model)) in ('iphone', 'phone') or any_value(name) ilike '%iphone%' then 'phone'
        else 'other'
    end as device_type,
    cast(null as varchar) as serial_number,
    device_key as external_id,
    'files' as source
from {{ optional_source('raw_files', 'apple_health_device', {
    'device_key': 'varchar', 'name': 'varchar', 'manufacturer': 'varchar', 'model': 'varchar',
    'hardware': 'varchar'}) }}
where device_key is not null
group by device_key
