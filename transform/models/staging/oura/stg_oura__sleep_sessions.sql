-- Oura sleep periods. Times are ISO strings with the local offset ('2024-09-01T07:03:32+02:00'): the offset
-- is local wall time minus the instant; the sleep belongs to the local date on which it ends. Durations are
-- seconds. Oura scores a day, not a period: the day's sleep score goes to that day's long sleep.
with sleep as (
    select * from {{ optional_source('raw_oura', 'sleep', {
        'id': 'varchar', 'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz',
        '_dlt_load_id': 'varchar'}) }}
),

daily_scores as (
    select athlete, day, arg_max({{ json_field('score', 'double') }}, _fetched_at) as score
    from {{ optional_source('raw_oura', 'daily_sleep', {
        'athlete': 'varchar', 'day': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz'}) }}
    group by all
),

shaped as (
    select
        *,
        payload ->> 'bedtime_start' as start_text,
        payload ->> 'bedtime_end' as end_text,
        payload ->> 'day' as day
    from sleep
)

select
    'oura:' || shaped.id as sleep_id,
    shaped.id as external_id,
    shaped.athlete as athlete_id,
    'oura:' || shaped.athlete || ':ring' as device_id,
    'oura' as source,
    cast(start_text as timestamptz) as start_time,
    cast(end_text as timestamptz) as end_time,
    cast(epoch(cast(left(end_text, 19) as timestamp)) - epoch(cast(end_text as timestamptz)) as integer)
        as utc_offset_s,
    cast(left(end_text, 10) as date) as local_date,
    epoch(cast(end_text as timestamptz)) - epoch(cast(start_text as timestamptz)) as duration_s,
    {{ json_field('deep_sleep_duration', 'double') }} as deep_s,
    {{ json_field('light_sleep_duration', 'double') }} as light_s,
    {{ json_field('rem_sleep_duration', 'double') }} as rem_s,
    {{ json_field('awake_time', 'double') }} as awake_s,
    case when {{ json_field('type') }} = 'long_sleep' then daily_scores.score end as score,
    {{ within(json_field('average_heart_rate', 'double'), 25, 250) }} as avg_hr,
    {{ within(json_field('lowest_heart_rate', 'double'), 25, 250) }} as lowest_hr,
    {{ json_field('average_hrv', 'double') }} as hrv_rmssd_ms,
    {{ json_field('average_breath', 'double') }} as respiration_rate,
    {{ json_field('type') }} as sleep_type,
    shaped._fetched_at as fetched_at,
    shaped._dlt_load_id as load_id
from shaped
left join daily_scores
    on daily_scores.athlete = shaped.athlete
    and daily_scores.day = shaped.day
where start_text is not null and end_text is not null
