-- One recording per completed Wahoo workout (a workout with its workout_summary; a planned workout has none).
-- Wahoo sends decimals as strings: cast here. Units as documented: distance and ascent m, durations s (total
-- = elapsed, active = moving), heart rate bpm, power W, speed m/s, calories kcal. The local offset comes from
-- the summary's IANA time zone at the start instant (null for a name DuckDB does not know).
with workouts as (
    select * from {{ optional_source('raw_wahoo', 'workout', {
        'id': 'bigint', 'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz',
        '_dlt_load_id': 'varchar'}) }}
),

completed as (
    select
        id,
        athlete,
        _fetched_at,
        _dlt_load_id,
        payload -> 'workout_summary' as summary,
        cast(payload ->> 'starts' as timestamptz) as start_time,
        payload ->> 'name' as workout_name,
        payload ->> 'workout_type_id' as workout_type_id
    from workouts
    where json_type(payload -> 'workout_summary') = 'OBJECT'
),

shaped as (
    select
        completed.*,
        {{ json_field('duration_total_accum', 'double', 'summary') }} as total_s,
        zones.name as time_zone
    from completed
    left join pg_timezone_names() as zones
        on zones.name = (completed.summary ->> 'time_zone')
)

select
    {{ source_scoped_id("'wahoo'", 'id') }} as recording_id,
    cast(id as varchar) as external_id,
    athlete as athlete_id,
    'wahoo:' || athlete || ':cloud' as device_id,
    'wahoo' as source,
    coalesce(nullif(summary ->> 'name', ''), nullif(workout_name, '')) as name,
    cast(null as varchar) as gear,
    cast(null as boolean) as commute,
    cast(null as varchar) as multisport_group_id,
    workout_type_id as source_sport,
    start_time,
    start_time + to_seconds(coalesce(total_s, 0)) as end_time,
    cast(epoch(timezone(time_zone, start_time)) - epoch(start_time) as integer) as utc_offset_s,
    cast(coalesce(timezone(time_zone, start_time), timezone('UTC', start_time)) as date) as local_date,
    {{ within('total_s', 0, 604800) }} as duration_s,
    {{ within(json_field('duration_active_accum', 'double', 'summary'), 0, 604800) }} as moving_s,
    {{ within(json_field('distance_accum', 'double', 'summary'), 0, 1000000) }} as distance_m,
    {{ within(json_field('ascent_accum', 'double', 'summary'), 0, 20000) }} as ascent_m,
    {{ within(json_field('heart_rate_avg', 'double', 'summary'), 25, 250) }} as avg_hr,
    cast(null as double) as max_hr,
    {{ within(json_field('power_avg', 'double', 'summary'), 0, 2500) }} as avg_power_w,
    {{ within(json_field('speed_avg', 'double', 'summary'), 0, 60) }} as avg_speed_mps,
    {{ within(json_field('cadence_avg', 'double', 'summary'), 0, 300) }} as avg_cadence,
    {{ within(json_field('calories_accum', 'double', 'summary'), 0, 20000) }} as kcal,
    cast(null as double) as rpe,
    false as has_gps,
    -- the INDOOR workout types of Wahoo's workout_type_id table (API docs, "Data Types")
    workout_type_id in (
        '2', '5', '12', '18', '19', '20', '21', '22', '23', '25', '32', '33', '42', '43', '44', '49', '56', '61',
        '66', '68', '69', '71'
    ) as indoor,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from shaped
where start_time is not null and coalesce(total_s, 0) >= 0
