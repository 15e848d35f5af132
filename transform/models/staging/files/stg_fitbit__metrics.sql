-- Fitbit (Google Takeout) time series into metrics: all-day heart rate, HRV as Fitbit reports it (RMSSD over
-- 5-minute windows of the night: the hrv_rmssd metric, not comparable with Apple's SDNN), minute SpO2 (%) and the
-- nightly skin temperature (°C, absolute; timed at the night's start). Wall times become UTC with the profile's
-- time zone. The export does not say which tracker measured these: they belong to the account's device.
with tz as (
    select coalesce((select timezone from {{ ref('stg_fitbit__profile') }}), 'UTC') as name
),

heart_rate as (
    select local_time, offset_min, 'heart_rate' as metric, cast(bpm as double) as value, _dlt_load_id
    from {{ optional_source('raw_files', 'fitbit_heart_rate', {
        'local_time': 'varchar', 'offset_min': 'integer', 'bpm': 'integer', '_dlt_load_id': 'varchar'}) }}
),

hrv as (
    select local_time, offset_min, 'hrv_rmssd' as metric, rmssd as value, _dlt_load_id
    from {{ optional_source('raw_files', 'fitbit_hrv_detail', {
        'local_time': 'varchar', 'offset_min': 'integer', 'rmssd': 'double', '_dlt_load_id': 'varchar'}) }}
),

spo2 as (
    select local_time, offset_min, 'spo2' as metric, value, _dlt_load_id
    from {{ optional_source('raw_files', 'fitbit_spo2_minute', {
        'local_time': 'varchar', 'offset_min': 'integer', 'value': 'double', '_dlt_load_id': 'varchar'}) }}
),

skin_temperature as (
    select local_start as local_time, start_offset_min as offset_min, 'skin_temperature' as metric,
        nightly_temperature as value, _dlt_load_id
    from {{ optional_source('raw_files', 'fitbit_computed_temperature', {
        'local_start': 'varchar', 'start_offset_min': 'integer', 'nightly_temperature': 'double',
        'type': 'varchar', '_dlt_load_id': 'varchar'}) }}
),

series as (
    select * from heart_rate
    union all
    select * from hrv
    union all
    select * from spo2
    union all
    select * from skin_temperature
),

ranged as (
    -- the metric_types seed's plausible ranges (written out: staging builds without the seeds)
    select *
    from series
    where local_time is not null and (
        (metric = 'heart_rate' and value between 25 and 250)
        or (metric = 'hrv_rmssd' and value between 1 and 300)
        or (metric = 'spo2' and value between 50 and 100)
        or (metric = 'skin_temperature' and value between 20 and 45)
    )
)

select
    '{{ var("files_athlete_id") }}' as athlete_id,
    'files:fitbit:account' as device_id,
    'files' as source,
    ranged.metric,
    {{ wall_time_to_utc('ranged.local_time', 'ranged.offset_min', 'tz.name') }} as ts,
    ranged.value,
    ranged._dlt_load_id as load_id
from ranged
cross join tz
-- a re-imported changed file repeats an instant: the latest load's value wins
qualify row_number() over (partition by ranged.metric, ts order by ranged._dlt_load_id desc, ranged.value desc) = 1
