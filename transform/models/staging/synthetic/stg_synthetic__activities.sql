-- Activity summaries as the vendor delivered them (one per device recording). Sport names stay vendor-shaped
-- here; intermediate maps them to the OpenFit vocabulary through the sport_types seed.
with activities as (
    select
        activity_id as external_id,
        {{ json_field('startTimeGmt', 'bigint') }} as start_epoch_s,
        {{ json_field('elapsedDuration', 'double') }} as duration_s,
        {{ json_field('timeZoneOffsetSec', 'integer') }} as utc_offset_s,
        *
    from {{ source('raw_synthetic', 'activities') }}
)

select
    {{ source_scoped_id('_source', 'external_id') }} as recording_id,
    external_id,
    {{ json_field('athleteId') }} as athlete_id,
    {{ source_scoped_id('_source', json_field('deviceId')) }} as device_id,
    {{ json_field('activityName') }} as name,
    -- the demo vendor has no gear, commute flag or multisport link
    cast(null as varchar) as gear,
    cast(null as boolean) as commute,
    cast(null as varchar) as multisport_group_id,
    {{ json_field('activityType') }} as source_sport,
    {{ epoch_s_to_utc('start_epoch_s') }} as start_time,
    to_timestamp(start_epoch_s + duration_s) as end_time,
    utc_offset_s,
    {{ local_date_from_epoch_s('start_epoch_s', 'utc_offset_s') }} as local_date,
    duration_s,
    {{ json_field('movingDuration', 'double') }} as moving_s,
    {{ json_field('distance', 'double') }} as distance_m,
    {{ json_field('elevationGain', 'double') }} as ascent_m,
    {{ json_field('averageHR', 'double') }} as avg_hr,
    {{ json_field('maxHR', 'double') }} as max_hr,
    {{ json_field('averagePower', 'double') }} as avg_power_w,
    {{ json_field('averageSpeed', 'double') }} as avg_speed_mps,
    {{ json_field('averageCadence', 'double') }} as avg_cadence,
    {{ json_field('calories', 'double') }} as kcal,
    {{ json_field('perceivedExertion', 'double') }} as rpe,
    {{ json_field('hasGps', 'boolean') }} as has_gps,
    {{ json_field('indoor', 'boolean') }} as indoor,
    _source as source,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from activities
