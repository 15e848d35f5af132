-- One recording per Withings workout (measure v2 getworkouts). startdate/enddate are epoch seconds, the
-- offset is that of the workout's IANA time zone; distance in m, calories in kcal, heart rate in bpm. The
-- device is the recording watch ('withings:<athlete>:<hashed device id>'), so the merge sees a Withings
-- workout and a FIT file of the same session as two devices recording one workout.
with workouts as (
    select * from {{ optional_source('raw_withings', 'workouts', {
        'id': 'varchar', 'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz',
        '_dlt_load_id': 'varchar'}) }}
),

shaped as (
    select
        *,
        {{ json_field('category', 'integer') }} as category,
        to_timestamp({{ json_field('startdate', 'bigint') }}) as start_time,
        to_timestamp({{ json_field('enddate', 'bigint') }}) as end_time,
        coalesce({{ json_field('timezone') }}, 'UTC') as tz,
        payload -> '$.data' as data
    from workouts
),

measured as (
    select
        *,
        epoch(end_time) - epoch(start_time) as duration_s,
        coalesce(nullif({{ json_field('distance', 'double', 'data') }}, 0),
            nullif({{ json_field('manual_distance', 'double', 'data') }}, 0)) as distance_m,
        coalesce(nullif({{ json_field('calories', 'double', 'data') }}, 0),
            nullif({{ json_field('manual_calories', 'double', 'data') }}, 0)) as kcal,
        coalesce({{ json_field('pause_duration', 'double', 'data') }}, 0) as pause_s
    from shaped
)

select
    {{ source_scoped_id("'withings'", 'id') }} as recording_id,
    id as external_id,
    athlete as athlete_id,
    'withings:' || athlete || ':'
        || coalesce({{ json_field('deviceid') }}, 'model-' || {{ json_field('model') }}, 'unknown') as device_id,
    'withings' as source,
    case category
        when 1 then 'Walk' when 2 then 'Run' when 3 then 'Hike' when 6 then 'Ride' when 7 then 'Swim'
        when 16 then 'Weight training' when 187 then 'Rowing' when 306 then 'Indoor walk'
        when 307 then 'Indoor run' when 308 then 'Indoor ride'
        else 'Workout'
    end as name,
    cast(null as varchar) as gear,
    cast(null as boolean) as commute,
    cast(null as varchar) as multisport_group_id,
    cast(category as varchar) as source_sport,
    start_time,
    end_time,
    cast(epoch(timezone(tz, start_time)) - epoch(start_time) as integer) as utc_offset_s,
    coalesce(cast({{ json_field('date') }} as date), cast(timezone(tz, start_time) as date)) as local_date,
    coalesce({{ within('duration_s', 0, 172800) }}, 0) as duration_s,
    {{ within('duration_s - pause_s', 0, 172800) }} as moving_s,
    {{ within('distance_m', 0, 1000000) }} as distance_m,
    {{ within(json_field('elevation', 'double', 'data'), 0, 20000) }} as ascent_m,
    {{ within(json_field('hr_average', 'double', 'data'), 25, 250) }} as avg_hr,
    {{ within(json_field('hr_max', 'double', 'data'), 25, 250) }} as max_hr,
    cast(null as double) as avg_power_w,
    {{ within('distance_m / nullif(duration_s - pause_s, 0)', 0, 60) }} as avg_speed_mps,
    cast(null as double) as avg_cadence,
    {{ within('kcal', 0, 20000) }} as kcal,
    cast(null as double) as rpe,
    false as has_gps,
    coalesce(category in (306, 307, 308), false) as indoor,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from measured
where start_time is not null
qualify row_number() over (partition by athlete, id order by _fetched_at desc) = 1
