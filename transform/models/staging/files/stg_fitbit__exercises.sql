-- Fitbit exercises (exercise-*.json) as activity recordings, one per log id (the latest load's version), timed
-- with the profile's time zone on the tracker the exercise names (the account's device when it names none).
-- Fitbit's activity names map to the files sport vocabulary (seeds/sport_types.csv); the rest is 'other'.
-- Distance is in the exercise's distanceUnit (Kilometer, Mile, Meter); elevation gain in m, or ft with miles.
-- A TCX of the same workout in the export is imported by the TCX decoder, and the merge matches the two by time.
with tz as (
    select coalesce((select timezone from {{ ref('stg_fitbit__profile') }}), 'UTC') as name
),

exercises as (
    select *
    from {{ optional_source('raw_files', 'fitbit_exercise', {
        'log_id': 'bigint', 'activity_name': 'varchar', 'local_start': 'varchar', 'start_offset_min': 'integer',
        'duration_ms': 'bigint', 'active_duration_ms': 'bigint', 'calories': 'double', 'distance': 'double',
        'distance_unit': 'varchar', 'average_heart_rate': 'double', 'elevation_gain': 'double',
        'has_gps': 'boolean', 'device_key': 'varchar', 'file_sha256': 'varchar', 'row_index': 'bigint',
        '_dlt_load_id': 'varchar'}) }}
    where log_id is not null and local_start is not null
    qualify row_number() over (partition by log_id order by _dlt_load_id desc, row_index desc) = 1
),

shaped as (
    select
        exercises.*,
        {{ wall_time_to_utc('exercises.local_start', 'exercises.start_offset_min', 'tz.name') }} as start_time,
        cast(exercises.duration_ms as double) / 1000 as duration_s,
        case lower(exercises.distance_unit)
            when 'kilometer' then exercises.distance * 1000
            when 'mile' then exercises.distance * 1609.344
            when 'meter' then exercises.distance
        end as distance_m,
        case
            when lower(exercises.distance_unit) = 'mile' then exercises.elevation_gain * 0.3048
            else exercises.elevation_gain
        end as ascent_m,
        case lower(exercises.activity_name)
            when 'run' then 'running'
            when 'treadmill' then 'running'
            when 'bike' then 'cycling'
            when 'outdoor bike' then 'cycling'
            when 'walk' then 'walking'
            when 'hike' then 'hiking'
            when 'swim' then 'swimming'
            when 'weights' then 'training'
            when 'rowing machine' then 'rowing'
            else lower(exercises.activity_name)
        end as source_sport
    from exercises
    cross join tz
)

select
    'files:fitbit:exercise:' || shaped.log_id as recording_id,
    cast(shaped.log_id as varchar) as external_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    'files:' || coalesce(shaped.device_key, 'fitbit:account') as device_id,
    'files' as source,
    coalesce(shaped.activity_name, 'Exercise') as name,
    cast(null as varchar) as gear,
    cast(null as boolean) as commute,
    cast(null as varchar) as multisport_group_id,
    shaped.source_sport,
    shaped.start_time,
    shaped.start_time + to_microseconds(cast(shaped.duration_s * 1e6 as bigint)) as end_time,
    cast(epoch(cast(shaped.local_start as timestamp)) - epoch(shaped.start_time) as integer) as utc_offset_s,
    cast(cast(shaped.local_start as timestamp) as date) as local_date,
    shaped.duration_s,
    cast(shaped.active_duration_ms as double) / 1000 as moving_s,
    {{ within('shaped.distance_m', 0, 1000000) }} as distance_m,
    {{ within('shaped.ascent_m', 0, 20000) }} as ascent_m,
    {{ within('shaped.average_heart_rate', 25, 250) }} as avg_hr,
    cast(null as double) as max_hr,
    cast(null as double) as avg_power_w,
    case
        when shaped.active_duration_ms > 0
            then {{ within('shaped.distance_m * 1000 / shaped.active_duration_ms', 0, 60) }}
    end as avg_speed_mps,
    cast(null as double) as avg_cadence,
    {{ within('shaped.calories', 0, 20000) }} as kcal,
    cast(null as double) as rpe,
    coalesce(shaped.has_gps, false) as has_gps,
    cast(null as boolean) as indoor,
    imports.imported_at as fetched_at,
    shaped._dlt_load_id as load_id
from shaped
left join {{ ref('stg_files__imports') }} as imports on imports.file_sha256 = shaped.file_sha256
where shaped.start_time is not null and shaped.duration_s between 0 and 172800
