-- One recording per Strava activity: the summary, completed by the detailed activity when it was loaded
-- (calories, device_name, perceived exertion exist only there). Strava speaks SI units already (m, s, m/s,
-- W); start_date is UTC and start_date_local is local wall time written with a misleading 'Z'.
with activities as (
    select * from {{ optional_source('raw_strava', 'activities', {
        'activity_id': 'bigint', 'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz',
        '_dlt_load_id': 'varchar'}) }}
),

details as (
    select * from {{ optional_source('raw_strava', 'activity_details', {
        'activity_id': 'bigint', 'payload': 'json'}) }}
),

activity as (
    select
        activities.activity_id,
        activities.athlete,
        coalesce(details.payload, activities.payload) as payload,
        activities._fetched_at,
        activities._dlt_load_id
    from activities
    left join details using (activity_id)
),

shaped as (
    select
        *,
        cast(payload ->> 'start_date' as timestamptz) as start_time,
        {{ json_field('elapsed_time', 'double') }} as duration_s,
        cast({{ json_field('utc_offset', 'double') }} as integer) as utc_offset_s,
        nullif(trim({{ json_field('device_name') }}), '') as device_name
    from activity
)

select
    {{ source_scoped_id("'strava'", 'activity_id') }} as recording_id,
    cast(activity_id as varchar) as external_id,
    athlete as athlete_id,
    case when device_name is not null then 'strava:' || athlete || ':' || device_name end as device_id,
    'strava' as source,
    {{ json_field('name') }} as name,
    -- the detail payload names the gear; the summary only has its id
    coalesce(payload -> 'gear' ->> 'name', {{ json_field('gear_id') }}) as gear,
    {{ json_field('commute', 'boolean') }} as commute,
    cast(null as varchar) as multisport_group_id,
    coalesce({{ json_field('sport_type') }}, {{ json_field('type') }}) as source_sport,
    start_time,
    start_time + to_microseconds(cast(coalesce(duration_s, 0) * 1e6 as bigint)) as end_time,
    case when utc_offset_s between -50400 and 50400 then utc_offset_s end as utc_offset_s,
    cast(cast(replace(payload ->> 'start_date_local', 'Z', '') as timestamp) as date) as local_date,
    coalesce({{ within('duration_s', 0, 172800) }}, 0) as duration_s,
    {{ within(json_field('moving_time', 'double'), 0, 172800) }} as moving_s,
    {{ within(json_field('distance', 'double'), 0, 1000000) }} as distance_m,
    {{ within(json_field('total_elevation_gain', 'double'), 0, 20000) }} as ascent_m,
    {{ within(json_field('average_heartrate', 'double'), 25, 250) }} as avg_hr,
    {{ within(json_field('max_heartrate', 'double'), 25, 250) }} as max_hr,
    {{ within(json_field('average_watts', 'double'), 0, 2500) }} as avg_power_w,
    {{ within(json_field('average_speed', 'double'), 0, 60) }} as avg_speed_mps,
    {{ within(json_field('average_cadence', 'double'), 0, 300) }} as avg_cadence,
    {{ within(json_field('calories', 'double'), 0, 20000) }} as kcal,
    {{ within(json_field('perceived_exertion', 'double'), 1, 10) }} as rpe,
    coalesce(json_array_length(payload -> 'start_latlng') = 2, false) as has_gps,
    coalesce({{ json_field('trainer', 'boolean') }}, false) as indoor,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from shaped
where start_time is not null
