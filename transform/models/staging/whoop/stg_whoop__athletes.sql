-- The connected athletes as WHOOP describes them: only a weight (body measurement); the name stays in
-- raw_whoop.profile. Dated far in the past, so that a fuller description of the same athlete wins in
-- int_athletes_unioned.
with profiles as (
    select athlete
    from {{ optional_source('raw_whoop', 'profile', {'athlete': 'varchar'}) }}
),

bodies as (
    select athlete, {{ within(json_field('weight_kilogram', 'double'), 25, 300) }} as weight_kg
    from {{ optional_source('raw_whoop', 'body_measurement', {
        'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz'}) }}
    qualify row_number() over (partition by athlete order by _fetched_at desc) = 1
)

select distinct
    profiles.athlete as athlete_id,
    cast(null as varchar) as display_name,
    cast(null as varchar) as sex,
    cast(null as integer) as birth_year,
    'UTC' as home_timezone,
    bodies.weight_kg,
    'whoop' as source,
    timestamptz '1970-01-01 00:00:00+00' as fetched_at
from profiles
left join bodies using (athlete)
