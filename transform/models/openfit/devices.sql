select
    cast(device_id as varchar) as device_id,
    cast(athlete_id as varchar) as athlete_id,
    cast(vendor as varchar) as vendor,
    cast(model as varchar) as model,
    cast(device_type as varchar) as device_type,
    cast(serial_number as varchar) as serial_number,
    cast(source as varchar) as source,
    cast(external_id as varchar) as external_id
from {{ ref('int_devices_unioned') }}
