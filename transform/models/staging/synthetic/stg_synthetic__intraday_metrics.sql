-- All-day series (heart rate, SpO2, stress), already in OpenFit units.
select
    athlete_id,
    {{ source_scoped_id('_source', 'device_id') }} as device_id,
    metric,
    {{ epoch_s_to_utc('"timestamp"') }} as ts,
    "value" as value,
    _source as source,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from {{ source('raw_synthetic', 'intraday') }}
