-- The connected athletes as Withings knows them: only a time zone (from their daily activity) and the last
-- weigh-in. Dated far in the past, so that where another source describes the same athlete more fully, that
-- description wins in int_athletes_unioned.
with athletes as (
    select athlete, {{ json_field('timezone') }} as tz, _fetched_at
    from {{ optional_source('raw_withings', 'activity', {
        'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz'}) }}
    union all
    select athlete, {{ json_field('timezone') }}, _fetched_at
    from {{ optional_source('raw_withings', 'sleep_summary', {
        'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz'}) }}
    union all
    select athlete, null as tz, _fetched_at
    from {{ optional_source('raw_withings', 'measure_groups', {'athlete': 'varchar', '_fetched_at': 'timestamptz'}) }}
    union all
    select athlete, {{ json_field('timezone') }}, _fetched_at
    from {{ optional_source('raw_withings', 'workouts', {
        'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz'}) }}
),

weights as (
    select athlete_id, arg_max(weight_kg, ts) as weight_kg
    from {{ ref('stg_withings__weigh_ins') }}
    group by athlete_id
)

select
    athletes.athlete as athlete_id,
    cast(null as varchar) as display_name,
    'X' as sex,
    cast(null as integer) as birth_year,
    coalesce(arg_max(athletes.tz, athletes._fetched_at) filter (where athletes.tz is not null), 'UTC')
        as home_timezone,
    any_value(weights.weight_kg) as weight_kg,
    'withings' as source,
    timestamptz '1970-01-01 00:00:00+00' as fetched_at
from athletes
left join weights on weights.athlete_id = athletes.athlete
group by athletes.athlete
