-- The connected athletes as Google Health names them: nothing but the connection (the Health user id stays in
-- raw_google_health.identity; the profile scope is not asked for). Dated far in the past, so that a fuller
-- description of the same athlete wins in int_athletes_unioned.
select distinct
    athlete as athlete_id,
    cast(null as varchar) as display_name,
    cast(null as varchar) as sex,
    cast(null as integer) as birth_year,
    'UTC' as home_timezone,
    cast(null as double) as weight_kg,
    'google_health' as source,
    timestamptz '1970-01-01 00:00:00+00' as fetched_at
from {{ optional_source('raw_google_health', 'identity', {'athlete': 'varchar'}) }}
