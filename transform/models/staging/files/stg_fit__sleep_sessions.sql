-- One sleep per FIT wellness file with sleep levels ('files:<sha256>'), summed up from its stages. Score: the
-- file's sleep_assessment. HRV: the HRV status summary's last-night average written within 12 h after waking,
-- else the mean of the night's 5-minute RMSSD readings (hrv_value). The files carry no UTC offset: local_date
-- is the UTC date of waking.
with stages as (select * from {{ ref('stg_fit__sleep_stages') }}),

nights as (
    select
        sleep_id,
        split_part(sleep_id, ':', 2) as file_sha256,
        min(start_time) as start_time,
        max(end_time) as end_time,
        sum(duration_s) filter (where stage = 'deep') as deep_s,
        sum(duration_s) filter (where stage = 'light') as light_s,
        sum(duration_s) filter (where stage = 'rem') as rem_s,
        sum(duration_s) filter (where stage = 'awake') as awake_s
    from stages
    group by sleep_id
),

assessments as (
    select file_sha256, max(overall_sleep_score) as score
    from {{ optional_source('raw_files', 'fit_sleep_assessment', {
        'file_sha256': 'varchar', 'overall_sleep_score': 'double'}) }}
    group by file_sha256
),

hrv_status as (
    select "timestamp" as ts, last_night_average
    from {{ optional_source('raw_files', 'fit_hrv_status_summary', {
        'timestamp': 'timestamptz', 'last_night_average': 'double'}) }}
    where "timestamp" is not null and last_night_average is not null
),

hrv_readings as (
    select "timestamp" as ts, "value"
    from {{ optional_source('raw_files', 'fit_hrv_value', {'timestamp': 'timestamptz', 'value': 'double'}) }}
    where "timestamp" is not null
),

night_hrv as (
    select
        nights.sleep_id,
        (select arg_min(hrv_status.last_night_average, hrv_status.ts) from hrv_status
         where hrv_status.ts between nights.start_time and nights.end_time + interval 12 hour) as status_average,
        (select avg(hrv_readings."value") from hrv_readings
         where hrv_readings.ts between nights.start_time and nights.end_time) as readings_average
    from nights
)

select
    nights.sleep_id,
    nights.file_sha256 as external_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    cast(null as varchar) as device_id,
    'files' as source,
    nights.start_time,
    nights.end_time,
    cast(null as integer) as utc_offset_s,
    cast(nights.end_time at time zone 'UTC' as date) as local_date,
    epoch(nights.end_time) - epoch(nights.start_time) as duration_s,
    nights.deep_s,
    nights.light_s,
    nights.rem_s,
    nights.awake_s,
    {{ within('assessments.score', 0, 100) }} as score,
    cast(null as double) as avg_hr,
    cast(null as integer) as lowest_hr,
    {{ within('coalesce(night_hrv.status_average, night_hrv.readings_average)', 1, 300) }} as hrv_rmssd_ms,
    cast(null as double) as respiration_rate
from nights
left join assessments using (file_sha256)
left join night_hrv using (sleep_id)
where epoch(nights.end_time) - epoch(nights.start_time) between 60 and 86400
