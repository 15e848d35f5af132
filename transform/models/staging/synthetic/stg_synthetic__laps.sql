select
    {{ source_scoped_id('_source', 'activity_id') }} as recording_id,
    cast(lap_index as integer) as lap_index,
    {{ epoch_s_to_utc(json_field('startTimeGmt', 'bigint')) }} as start_time,
    {{ json_field('elapsedDuration', 'double') }} as duration_s,
    {{ json_field('distance', 'double') }} as distance_m,
    -- A lap inside a strap's dropout (0 bpm) has no heart rate: outside 25-250 bpm is "not measured".
    case
        when {{ json_field('averageHR', 'double') }} between 25 and 250 then {{ json_field('averageHR', 'double') }}
    end as avg_hr,
    case
        when {{ json_field('maxHR', 'double') }} between 25 and 250 then {{ json_field('maxHR', 'double') }}
    end as max_hr,
    {{ json_field('averagePower', 'double') }} as avg_power_w,
    {{ json_field('averageSpeed', 'double') }} as avg_speed_mps,
    _source as source,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from {{ source('raw_synthetic', 'laps') }}
