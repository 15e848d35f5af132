-- Devices of Health Connect exports: one per app package and device (manufacturer, model, type), so the phone
-- app's counts and a watch's stay apart and one watch keeps its id in every export.
select
    'files:' || device_key as device_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    lower(any_value(manufacturer)) as vendor,
    coalesce(any_value(model), any_value(app_name), any_value(app_package)) as model,
    case any_value(device_type)
        when 'watch' then 'watch'
        when 'fitness_band' then 'watch'
        when 'phone' then 'phone'
        when 'scale' then 'scale'
        when 'ring' then 'ring'
        when 'chest_strap' then 'chest_strap'
        else 'other'
    end as device_type,
    cast(null as varchar) as serial_number,
    device_key as external_id,
    'files' as source
from {{ optional_source('raw_files', 'health_connect_device', {
    'device_key': 'varchar', 'app_package': 'varchar', 'app_name': 'varchar', 'manufacturer': 'varchar',
    'model': 'varchar', 'device_type': 'varchar'}) }}
where device_key is not null
group by device_key
