-- One row per synthetic athlete profile (vendor user object).
select
    athlete_id,
    {{ json_field('displayName') }} as display_name,
    {{ json_field('sex') }} as sex,
    {{ json_field('birthYear', 'integer') }} as birth_year,
    {{ json_field('homeTimeZone') }} as home_timezone,
    {{ json_field('weightKg', 'double') }} as weight_kg,
    _source as source,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from {{ source('raw_synthetic', 'athletes') }}
