-- WHOOP sleeps and naps. Times are UTC with the user's offset beside them; the sleep belongs to the local date
-- on which it ends. Stage totals are milliseconds (slow wave sleep is OpenFit's deep sleep; time without data
-- is in no stage). The score is WHOOP's sleep performance (% of the sleep needed). HRV (RMSSD, ms) comes from
-- the recovery computed from this sleep.
with sleeps as (
    select * from {{ optional_source('raw_whoop', 'sleep', {
        'id': 'varchar', 'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz',
        '_dlt_load_id': 'varchar'}) }}
),

recoveries as (
    select
        payload ->> 'sleep_id' as sleep_id,
        arg_max(cast(payload -> 'score' ->> 'hrv_rmssd_milli' as double), _fetched_at) as hrv_rmssd_ms
    from {{ optional_source('raw_whoop', 'recovery', {'payload': 'json', '_fetched_at': 'timestamptz'}) }}
    group by all
),

shaped as (
    select
        sleeps.*,
        cast(sleeps.payload ->> 'start' as timestamptz) as start_time,
        cast(sleeps.payload ->> 'end' as timestamptz) as end_time,
        {{ tzd_to_seconds("payload ->> 'timezone_offset'") }} as offset_s,
        sleeps.payload -> 'score' as score,
        sleeps.payload -> 'score' -> 'stage_summary' as stages
    from sleeps
)

select
    {{ source_scoped_id("'whoop'", 'shaped.id') }} as sleep_id,
    shaped.id as external_id,
    shaped.athlete as athlete_id,
    'whoop:' || shaped.athlete || ':band' as device_id,
    'whoop' as source,
    start_time,
    end_time,
    case when offset_s between -50400 and 50400 then offset_s end as utc_offset_s,
    cast(timezone('UTC', end_time) + to_seconds(coalesce(offset_s, 0)) as date) as local_date,
    epoch(end_time) - epoch(start_time) as duration_s,
    {{ json_field('total_slow_wave_sleep_time_milli', 'double', 'stages') }} / 1000 as deep_s,
    {{ json_field('total_light_sleep_time_milli', 'double', 'stages') }} / 1000 as light_s,
    {{ json_field('total_rem_sleep_time_milli', 'double', 'stages') }} / 1000 as rem_s,
    {{ json_field('total_awake_time_milli', 'double', 'stages') }} / 1000 as awake_s,
    {{ within(json_field('sleep_performance_percentage', 'double', 'score'), 0, 100) }} as score,
    cast(null as double) as avg_hr,
    cast(null as double) as lowest_hr,
    {{ within('recoveries.hrv_rmssd_ms', 1, 300) }} as hrv_rmssd_ms,
    {{ json_field('respiratory_rate', 'double', 'score') }} as respiration_rate,
    case when {{ json_field('nap', 'boolean') }} then 'nap' else 'sleep' end as sleep_type,
    shaped._fetched_at as fetched_at,
    shaped._dlt_load_id as load_id
from shaped
left join recoveries on recoveries.sleep_id = shaped.id
where start_time is not null and end_time is not null and end_time > start_time
