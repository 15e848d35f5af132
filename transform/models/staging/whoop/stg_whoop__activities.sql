-- One recording per WHOOP workout. Times are UTC with the user's offset ('+01:00') beside them; energy is
-- kilojoules (kcal = kJ / 4.184); distance and altitude gain are metres (present only when the workout had
-- distance data). A workout not scored yet has times but no score: its totals stay null.
with workouts as (
    select * from {{ optional_source('raw_whoop', 'workout', {
        'id': 'varchar', 'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz',
        '_dlt_load_id': 'varchar'}) }}
),

shaped as (
    select
        *,
        cast(payload ->> 'start' as timestamptz) as start_time,
        cast(payload ->> 'end' as timestamptz) as end_time,
        {{ tzd_to_seconds("payload ->> 'timezone_offset'") }} as offset_s,
        payload -> 'score' as score,
        {{ json_field('sport_name') }} as sport_name
    from workouts
)

select
    {{ source_scoped_id("'whoop'", 'id') }} as recording_id,
    id as external_id,
    athlete as athlete_id,
    'whoop:' || athlete || ':band' as device_id,
    'whoop' as source,
    {{ sentence_case("replace(sport_name, '-', ' ')") }} as name,
    cast(null as varchar) as gear,
    cast(null as boolean) as commute,
    cast(null as varchar) as multisport_group_id,
    sport_name as source_sport,
    start_time,
    end_time,
    case when offset_s between -50400 and 50400 then offset_s end as utc_offset_s,
    cast(timezone('UTC', start_time) + to_seconds(coalesce(offset_s, 0)) as date) as local_date,
    epoch(end_time) - epoch(start_time) as duration_s,
    cast(null as double) as moving_s,
    {{ within(json_field('distance_meter', 'double', 'score'), 0, 1000000) }} as distance_m,
    {{ within(json_field('altitude_gain_meter', 'double', 'score'), 0, 20000) }} as ascent_m,
    {{ within(json_field('average_heart_rate', 'double', 'score'), 25, 250) }} as avg_hr,
    {{ within(json_field('max_heart_rate', 'double', 'score'), 25, 250) }} as max_hr,
    cast(null as double) as avg_power_w,
    {{ within(
        json_field('distance_meter', 'double', 'score') ~ ' / nullif(epoch(end_time) - epoch(start_time), 0)', 0, 60
    ) }}
        as avg_speed_mps,
    cast(null as double) as avg_cadence,
    {{ within(json_field('kilojoule', 'double', 'score') ~ ' / 4.184', 0, 20000) }} as kcal,
    cast(null as double) as rpe,
    false as has_gps,
    false as indoor,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from shaped
where start_time is not null and end_time is not null and end_time >= start_time
