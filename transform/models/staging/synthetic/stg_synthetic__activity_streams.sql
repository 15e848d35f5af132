-- 1 Hz streams, vendor units -> SI. The big one: plain column arithmetic only (no joins, no windows).
select
    {{ source_scoped_id('_source', 'activity_id') }} as recording_id,
    {{ epoch_s_to_utc('"timestamp"') }} as ts,
    -- 0 bpm is the device's "no contact" marker (a strap dropout), not a reading
    cast(nullif(heart_rate, 0) as smallint) as heart_rate,
    cast(power as smallint) as power_w,
    cast(cadence as smallint) as cadence,
    cast(speed as double) / 1000 as speed_mps,
    cast(altitude as double) / 100 as altitude_m,
    {{ semicircles_to_degrees('position_lat') }} as lat,
    {{ semicircles_to_degrees('position_long') }} as lon,
    cast(distance as double) / 100 as distance_m,
    cast(temperature as smallint) as temperature_c,
    _dlt_load_id as load_id
from {{ source('raw_synthetic', 'activity_streams') }}
