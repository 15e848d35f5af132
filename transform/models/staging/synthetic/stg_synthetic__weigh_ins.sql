-- Scale weigh-ins (epoch ms, weight in grams).
select
    {{ source_scoped_id('_source', 'device_id') }} as device_id,
    {{ json_field('athleteId') }} as athlete_id,
    {{ epoch_ms_to_utc('timestamp_gmt') }} as ts,
    {{ json_field('weight', 'double') }} / 1000 as weight_kg,
    {{ json_field('bodyFat', 'double') }} as body_fat_pct,
    _source as source,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from {{ source('raw_synthetic', 'weigh_ins') }}
