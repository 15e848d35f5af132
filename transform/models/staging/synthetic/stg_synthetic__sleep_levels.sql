-- Sleep stage intervals; Garmin-style activity levels 0 deep, 1 light, 2 rem, 3 awake.
select
    {{ source_scoped_id('_source', 'sleep_id') }} as sleep_id,
    {{ epoch_ms_to_utc('start_gmt') }} as start_time,
    {{ epoch_ms_to_utc('end_gmt') }} as end_time,
    cast(end_gmt - start_gmt as double) / 1000 as duration_s,
    case cast(activity_level as integer)
        when 0 then 'deep'
        when 1 then 'light'
        when 2 then 'rem'
        when 3 then 'awake'
    end as stage,
    cast(activity_level as integer) as source_level,
    _source as source,
    _fetched_at as fetched_at
from {{ source('raw_synthetic', 'sleep_levels') }}
