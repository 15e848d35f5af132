-- Fitbit sleep logs (sleep-*.json, the Web API 1.2 shape): one row per log id (the latest load's version), timed
-- with the profile's time zone, on Fitbit's own dateOfSleep; stage totals from the stage runs.
with tz as (
    select coalesce((select timezone from {{ ref('stg_fitbit__profile') }}), 'UTC') as name
),

logs as (
    select *
    from {{ optional_source('raw_files', 'fitbit_sleep', {
        'log_id': 'bigint', 'date_of_sleep': 'varchar', 'local_start': 'varchar', 'start_offset_min': 'integer',
        'local_end': 'varchar', 'end_offset_min': 'integer', 'minutes_awake': 'bigint', 'efficiency': 'bigint',
        '_dlt_load_id': 'varchar', 'row_index': 'bigint'}) }}
    where log_id is not null and local_start is not null and local_end is not null
    qualify row_number() over (partition by log_id order by _dlt_load_id desc, row_index desc) = 1
),

stage_totals as (
    select
        sleep_id,
        sum(case when stage = 'deep' then duration_s end) as deep_s,
        sum(case when stage = 'light' then duration_s end) as light_s,
        sum(case when stage = 'rem' then duration_s end) as rem_s,
        sum(case when stage = 'awake' then duration_s end) as awake_s
    from {{ ref('stg_fitbit__sleep_stages') }}
    group by sleep_id
),

timed as (
    select
        'fitbit:' || logs.log_id as sleep_id,
        cast(logs.log_id as varchar) as external_id,
        {{ wall_time_to_utc('logs.local_start', 'logs.start_offset_min', 'tz.name') }} as start_time,
        {{ wall_time_to_utc('logs.local_end', 'logs.end_offset_min', 'tz.name') }} as end_time,
        cast(logs.local_end as timestamp) as local_end,
        cast(logs.date_of_sleep as date) as local_date,
        logs.minutes_awake
    from logs
    cross join tz
)

select
    timed.sleep_id,
    timed.external_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    'files:fitbit:account' as device_id,
    'files' as source,
    timed.start_time,
    timed.end_time,
    cast(epoch(timed.local_end) - epoch(timed.end_time) as integer) as utc_offset_s,
    coalesce(timed.local_date, cast(timed.local_end as date)) as local_date,
    epoch(timed.end_time) - epoch(timed.start_time) as duration_s,
    stage_totals.deep_s,
    stage_totals.light_s,
    stage_totals.rem_s,
    coalesce(stage_totals.awake_s, timed.minutes_awake * 60.0) as awake_s,
    cast(null as double) as score,
    cast(null as double) as avg_hr,
    cast(null as integer) as lowest_hr,
    cast(null as double) as hrv_rmssd_ms,
    cast(null as double) as respiration_rate
from timed
left join stage_totals using (sleep_id)
where epoch(timed.end_time) - epoch(timed.start_time) between 60 and 86400
