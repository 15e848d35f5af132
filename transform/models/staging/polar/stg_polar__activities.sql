-- One recording per Polar exercise. `start_time` is the device's local wall time and `start_time_utc_offset`
-- its offset in minutes, so the UTC start is wall time minus the offset; the duration is ISO 8601. Distance is
-- metres, calories kcal, heart rate bpm; speed is derived (distance / duration). The device is the Polar
-- product that recorded it ('polar:<device_id>', the id AccessLink gives each device).
with exercises as (
    select * from {{ optional_source('raw_polar', 'exercise', {
        'id': 'varchar', 'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz',
        '_dlt_load_id': 'varchar'}) }}
),

shaped as (
    select
        *,
        {{ json_field('start_time_utc_offset', 'integer') }} * 60 as offset_s,
        {{ iso_duration_to_seconds("payload ->> 'duration'") }} as elapsed_s,
        {{ json_field('sport') }} as sport_name,
        {{ json_field('distance', 'double') }} as distance
    from exercises
),

timed as (
    select
        *,
        timezone('UTC', cast(payload ->> 'start_time' as timestamp) - to_seconds(coalesce(offset_s, 0)))
            as start_utc
    from shaped
)

select
    {{ source_scoped_id("'polar'", 'id') }} as recording_id,
    id as external_id,
    athlete as athlete_id,
    'polar:' || {{ json_field('device_id') }} as device_id,
    'polar' as source,
    {{ sentence_case("replace(coalesce(payload ->> 'detailed_sport_info', sport_name), '_', ' ')") }} as name,
    cast(null as varchar) as gear,
    cast(null as boolean) as commute,
    cast(null as varchar) as multisport_group_id,
    sport_name as source_sport,
    start_utc as start_time,
    start_utc + to_seconds(elapsed_s) as end_time,
    case when offset_s between -50400 and 50400 then offset_s end as utc_offset_s,
    cast(cast(payload ->> 'start_time' as timestamp) as date) as local_date,
    elapsed_s as duration_s,
    cast(null as double) as moving_s,
    {{ within('distance', 0, 1000000) }} as distance_m,
    cast(null as double) as ascent_m,
    {{ within("cast(payload -> 'heart_rate' ->> 'average' as double)", 25, 250) }} as avg_hr,
    {{ within("cast(payload -> 'heart_rate' ->> 'maximum' as double)", 25, 250) }} as max_hr,
    cast(null as double) as avg_power_w,
    {{ within('distance / nullif(elapsed_s, 0)', 0, 60) }} as avg_speed_mps,
    cast(null as double) as avg_cadence,
    {{ within(json_field('calories', 'double'), 0, 20000) }} as kcal,
    cast(null as double) as rpe,
    coalesce({{ json_field('has_route', 'boolean') }}, false) as has_gps,
    false as indoor,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from timed
where start_utc is not null and elapsed_s is not null
