-- The connected athletes as Strava describes them. Strava has no home time zone: take it from the athlete's
-- latest activity ('(GMT+01:00) Europe/Zurich' -> 'Europe/Zurich'), UTC when there is none.
with athletes as (
    select * from {{ optional_source('raw_strava', 'athlete', {
        'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz'}) }}
),

latest_zone as (
    select
        athlete,
        arg_max(regexp_extract(payload ->> 'timezone', '\)\s*(\S+)$', 1), cast(payload ->> 'start_date' as timestamptz))
            as home_timezone
    from {{ optional_source('raw_strava', 'activities', {'athlete': 'varchar', 'payload': 'json'}) }}
    group by athlete
)

select
    athletes.athlete as athlete_id,
    nullif(trim(concat_ws(' ', {{ json_field('firstname') }}, {{ json_field('lastname') }})), '') as display_name,
    case {{ json_field('sex') }} when 'F' then 'F' when 'M' then 'M' else 'X' end as sex,
    cast(null as integer) as birth_year,
    coalesce(nullif(latest_zone.home_timezone, ''), 'UTC') as home_timezone,
    {{ within(json_field('weight', 'double'), 25, 300) }} as weight_kg,
    'strava' as source,
    athletes._fetched_at as fetched_at
from athletes
left join latest_zone using (athlete)
qualify row_number() over (partition by athletes.athlete order by athletes._fetched_at desc) = 1
