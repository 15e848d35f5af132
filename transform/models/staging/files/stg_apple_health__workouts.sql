-- Apple Health workouts as activity recordings ('files:apple:<workout_key>'), one per workout_key: the latest
-- export's version wins, as for records. Totals are converted by the unit Apple wrote beside them (duration
-- min/s/hr -> s of active time; distance km/m/mi/yd -> m; energy kcal/Cal/kJ -> kcal); heart rate comes from the
-- workout's statistics. The route (workout-routes/*.gpx) imports as a GPX recording of its own, which merges with
-- this one by time into one activity: the watch's summary and the route's track points meet there. has_gps stays
-- false here (this recording has no samples), so the merge takes the GPS channel from the route.
-- Sports map through seeds/sport_types (source 'files', source_sport the HKWorkoutActivityType).
with workouts as (
    select * from {{ optional_source('raw_files', 'apple_health_workout', {
        'file_sha256': 'varchar', 'row_index': 'bigint', 'workout_key': 'varchar', 'activity_type': 'varchar',
        'duration': 'double', 'duration_unit': 'varchar', 'total_distance': 'double',
        'total_distance_unit': 'varchar', 'total_energy_burned': 'double', 'total_energy_burned_unit': 'varchar',
        'source_name': 'varchar', 'device_key': 'varchar', 'start_date': 'timestamptz', 'start_offset_min': 'integer',
        'end_date': 'timestamptz', 'creation_date': 'timestamptz', 'metadata': 'varchar',
        '_dlt_load_id': 'varchar'}) }}
    where workout_key is not null and start_date is not null and end_date is not null
),

exports as (
    select file_sha256, max(export_date) as export_date
    from {{ optional_source('raw_files', 'apple_health_export', {
        'file_sha256': 'varchar', 'export_date': 'timestamptz'}) }}
    group by file_sha256
),

latest as (
    select workouts.*
    from workouts
    left join exports using (file_sha256)
    qualify row_number() over (
        partition by workouts.workout_key
        order by exports.export_date desc nulls last, workouts.creation_date desc nulls last,
            workouts.file_sha256 asc, workouts.row_index asc
    ) = 1
),

heart_rate as (
    select
        workout_key,
        avg(average) as avg_hr,
        max(maximum) as max_hr
    from {{ optional_source('raw_files', 'apple_health_workout_statistics', {
        'workout_key': 'varchar', 'type': 'varchar', 'average': 'double', 'maximum': 'double',
        'unit': 'varchar'}) }}
    where type = 'HKQuantityTypeIdentifierHeartRate' and unit = 'count/min'
    group by workout_key
),

converted as (
    select
        latest.*,
        replace(latest.activity_type, 'HKWorkoutActivityType', '') as activity_name,  -- 'TraditionalStrengthTraining'
        latest.duration * case latest.duration_unit when 'min' then 60 when 's' then 1 when 'hr' then 3600 end
            as active_s,
        latest.total_distance
        * case latest.total_distance_unit
            when 'km' then 1000 when 'm' then 1 when 'mi' then 1609.344 when 'yd' then 0.9144
        end as distance_m,
        latest.total_energy_burned
        * case latest.total_energy_burned_unit when 'kcal' then 1 when 'Cal' then 1 when 'kJ' then 1 / 4.184 end
            as energy_kcal
    from latest
)

select
    'files:apple:' || converted.workout_key as recording_id,
    converted.workout_key as external_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    'files:' || converted.device_key as device_id,
    'files' as source,
    {{ sentence_case("lower(regexp_replace(converted.activity_name, '([a-z])([A-Z])', '\\1 \\2', 'g'))") }} as name,
    cast(null as varchar) as gear,
    cast(null as boolean) as commute,
    cast(null as varchar) as multisport_group_id,
    converted.activity_type as source_sport,
    converted.start_date as start_time,
    converted.end_date as end_time,
    converted.start_offset_min * 60 as utc_offset_s,
    cast((converted.start_date at time zone 'UTC') + to_minutes(coalesce(converted.start_offset_min, 0)) as date)
        as local_date,
    {{ within('epoch(converted.end_date) - epoch(converted.start_date)', 0, 172800) }} as duration_s,
    {{ within('converted.active_s', 0, 172800) }} as moving_s,
    {{ within('converted.distance_m', 0, 2000000) }} as distance_m,
    cast(null as double) as ascent_m,
    {{ within('heart_rate.avg_hr', 25, 250) }} as avg_hr,
    {{ within('heart_rate.max_hr', 25, 250) }} as max_hr,
    cast(null as double) as avg_power_w,
    case when converted.distance_m > 0 and converted.active_s > 0
        then {{ within('converted.distance_m / converted.active_s', 0, 60) }}
    end as avg_speed_mps,
    cast(null as double) as avg_cadence,
    {{ within('converted.energy_kcal', 0, 20000) }} as kcal,
    cast(null as double) as rpe,
    false as has_gps,
    coalesce(json_extract_string(converted.metadata, '$.HKIndoorWorkout') = '1', false) as indoor,
    converted.creation_date as fetched_at,
    converted._dlt_load_id as load_id
from converted
left join heart_rate using (workout_key)
where epoch(converted.end_date) - epoch(converted.start_date) <= 172800
