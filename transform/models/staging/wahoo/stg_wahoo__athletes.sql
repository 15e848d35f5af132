-- The connected athletes as Wahoo describes them: weight (kg, sent as a string) and birth year; the name
-- stays in raw_wahoo.user. Dated far in the past, so that a fuller description of the same athlete wins in
-- int_athletes_unioned.
select
    athlete as athlete_id,
    cast(null as varchar) as display_name,
    cast(null as varchar) as sex,
    {{ within("year(try_cast(payload ->> 'birth' as date))", 1900, 2100) }} as birth_year,
    'UTC' as home_timezone,
    {{ within(json_field('weight', 'double'), 25, 300) }} as weight_kg,
    'wahoo' as source,
    timestamptz '1970-01-01 00:00:00+00' as fetched_at
from {{ optional_source('raw_wahoo', 'user', {
    'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz'}) }}
qualify row_number() over (partition by athlete order by _fetched_at desc) = 1
