select
    {{ source_scoped_id('_source', 'device_id') }} as device_id,
    device_id as external_id,
    {{ json_field('athleteId') }} as athlete_id,
    lower({{ json_field('manufacturer') }}) as vendor,
    {{ json_field('productName') }} as model,
    lower({{ json_field('deviceType') }}) as device_type,
    {{ json_field('serialNumber') }} as serial_number,
    _source as source,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from {{ source('raw_synthetic', 'devices') }}
