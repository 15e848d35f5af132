-- The connected athletes as Polar describes them: sex, birth year and weight (kg) of the registered user; the
-- name stays in raw_polar.user. Dated far in the past, so that a fuller description of the same athlete wins
-- in int_athletes_unioned (as the other providers' descriptions do).
select
    athlete as athlete_id,
    cast(null as varchar) as display_name,
    case {{ json_field('gender') }} when 'FEMALE' then 'F' when 'MALE' then 'M' else 'X' end as sex,
    {{ within("year(try_cast(payload ->> 'birthdate' as date))", 1900, 2100) }} as birth_year,
    'UTC' as home_timezone,
    {{ within(json_field('weight', 'double'), 25, 300) }} as weight_kg,
    'polar' as source,
    timestamptz '1970-01-01 00:00:00+00' as fetched_at
from {{ optional_source('raw_polar', 'user', {
    'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz'}) }}
qualify row_number() over (partition by athlete order by _fetched_at desc) = 1
