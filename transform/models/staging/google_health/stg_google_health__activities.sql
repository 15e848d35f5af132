-- One recording per Google Health exercise session. Times are UTC with the user's offset as a duration
-- ('3600s'); distance and elevation gain are millimetres (/ 1000 -> m), speed mm/s, energy kcal; heart rate bpm
-- (int64 as a JSON string). The exercise type (RUNNING, OUTDOOR_BIKE, ...) maps through seeds/sport_types.
with exercises as (
    select
        *,
        payload -> 'exercise' as exercise,
        payload -> 'exercise' -> 'interval' as span,
        payload -> 'exercise' -> 'metricsSummary' as summary
    from {{ ref('stg_google_health__data_points') }}
    where data_type = 'exercise'
),

shaped as (
    select
        *,
        cast(span ->> 'startTime' as timestamptz) as start_time,
        cast(span ->> 'endTime' as timestamptz) as end_time,
        try_cast(rtrim(span ->> 'startUtcOffset', 's') as double) as offset_s,
        try_cast(rtrim(exercise ->> 'activeDuration', 's') as double) as active_s,
        {{ json_field('distanceMillimeters', 'double', 'summary') }} / 1000 as distance_m
    from exercises
)

select
    {{ source_scoped_id("'google_health'", 'id') }} as recording_id,
    id as external_id,
    athlete_id,
    device_id,
    'google_health' as source,
    coalesce({{ json_field('displayName', 'varchar', 'exercise') }}, 'Exercise') as name,
    cast(null as varchar) as gear,
    cast(null as boolean) as commute,
    cast(null as varchar) as multisport_group_id,
    {{ json_field('exerciseType', 'varchar', 'exercise') }} as source_sport,
    start_time,
    end_time,
    case when offset_s between -50400 and 50400 then cast(offset_s as integer) end as utc_offset_s,
    cast(timezone('UTC', start_time) + to_seconds(coalesce(offset_s, 0)) as date) as local_date,
    epoch(end_time) - epoch(start_time) as duration_s,
    {{ within('active_s', 0, 604800) }} as moving_s,
    {{ within('distance_m', 0, 1000000) }} as distance_m,
    {{ within(json_field('elevationGainMillimeters', 'double', 'summary') ~ ' / 1000', 0, 20000) }} as ascent_m,
    {{ within(json_field('averageHeartRateBeatsPerMinute', 'double', 'summary'), 25, 250) }} as avg_hr,
    cast(null as double) as max_hr,
    cast(null as double) as avg_power_w,
    {{ within(json_field('averageSpeedMillimetersPerSecond', 'double', 'summary') ~ ' / 1000', 0, 60) }}
        as avg_speed_mps,
    cast(null as double) as avg_cadence,
    {{ within(json_field('caloriesKcal', 'double', 'summary'), 0, 20000) }} as kcal,
    cast(null as double) as rpe,
    coalesce(cast(exercise -> 'exerciseMetadata' ->> 'hasGps' as boolean), false) as has_gps,
    false as indoor,
    fetched_at,
    load_id
from shaped
where start_time is not null and end_time is not null and end_time >= start_time
