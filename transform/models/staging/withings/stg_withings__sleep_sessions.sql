-- Withings sleep summaries (one per night). startdate/enddate are epoch seconds; the local date is Withings'
-- own `date` (the day the night ends), the offset that of the summary's IANA time zone. Durations are
-- seconds; heart rate (bpm) and respiration rate (breaths/min) are the night's averages, hr_min the lowest.
with sleep as (
    select * from {{ optional_source('raw_withings', 'sleep_summary', {
        'id': 'varchar', 'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz',
        '_dlt_load_id': 'varchar'}) }}
),

shaped as (
    select
        *,
        to_timestamp({{ json_field('startdate', 'bigint') }}) as start_time,
        to_timestamp({{ json_field('enddate', 'bigint') }}) as end_time,
        coalesce({{ json_field('timezone') }}, 'UTC') as tz,
        payload -> '$.data' as data
    from sleep
)

select
    'withings:' || id as sleep_id,
    id as external_id,
    athlete as athlete_id,
    'withings:' || athlete || ':' || coalesce({{ json_field('hash_deviceid') }}, 'sleep') as device_id,
    'withings' as source,
    start_time,
    end_time,
    cast(epoch(timezone(tz, end_time)) - epoch(end_time) as integer) as utc_offset_s,
    coalesce(cast({{ json_field('date') }} as date), cast(timezone(tz, end_time) as date)) as local_date,
    epoch(end_time) - epoch(start_time) as duration_s,
    {{ json_field('deepsleepduration', 'double', 'data') }} as deep_s,
    {{ json_field('lightsleepduration', 'double', 'data') }} as light_s,
    {{ json_field('remsleepduration', 'double', 'data') }} as rem_s,
    {{ json_field('wakeupduration', 'double', 'data') }} as awake_s,
    {{ within(json_field('sleep_score', 'double', 'data'), 0, 100) }} as score,
    {{ within(json_field('hr_average', 'double', 'data'), 25, 250) }} as avg_hr,
    {{ within(json_field('hr_min', 'double', 'data'), 25, 250) }} as lowest_hr,
    cast(null as double) as hrv_rmssd_ms,
    {{ within(json_field('rr_average', 'double', 'data'), 3, 60) }} as respiration_rate,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from shaped
where start_time is not null and end_time is not null
qualify row_number() over (partition by athlete, id order by _fetched_at desc) = 1
