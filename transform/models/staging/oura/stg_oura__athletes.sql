-- The connected athletes as Oura describes them. Oura gives an age, not a birth year (the year is the fetch
-- year minus the age, so it may be one off), and no time zone. Dated far in the past, so that where Strava
-- or another source describes the same athlete, that fuller description wins in int_athletes_unioned.
select
    athlete as athlete_id,
    cast(null as varchar) as display_name,
    case lower({{ json_field('biological_sex') }}) when 'female' then 'F' when 'male' then 'M' else 'X' end as sex,
    {{ within("year(_fetched_at) - " ~ json_field('age', 'integer'), 1900, 2100) }} as birth_year,
    'UTC' as home_timezone,
    {{ within(json_field('weight', 'double'), 25, 300) }} as weight_kg,
    'oura' as source,
    timestamptz '1970-01-01 00:00:00+00' as fetched_at
from {{ optional_source('raw_oura', 'personal_info', {
    'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz'}) }}
qualify row_number() over (partition by athlete order by _fetched_at desc) = 1
