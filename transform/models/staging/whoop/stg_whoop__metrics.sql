-- WHOOP values as OpenFit metrics. Recovery (stamped at the end of the sleep it was computed from, else when
-- it was recorded): hrv_rmssd (RMSSD, ms; never SDNN), resting_heart_rate (bpm), spo2 (%), skin_temperature
-- (absolute, °C), whoop_recovery_score (%). Cycles: whoop_strain (0-21) at the cycle's start. Body
-- measurement (no timestamp of its own): weight (kg) and height (m) at the start of the UTC day it was read.
-- Recovery and strain are WHOOP's own scores, kept as vendor metrics and never used as training load.
with recoveries as (
    select
        recovery.athlete,
        coalesce(sleeps.end_time, cast(recovery.payload ->> 'created_at' as timestamptz)) as ts,
        recovery.payload -> 'score' as score,
        recovery._dlt_load_id as load_id
    from {{ optional_source('raw_whoop', 'recovery', {
        'athlete': 'varchar', 'payload': 'json', '_dlt_load_id': 'varchar'}) }} as recovery
    left join {{ ref('stg_whoop__sleep_sessions') }} as sleeps
        on sleeps.external_id = (recovery.payload ->> 'sleep_id')
    where (recovery.payload ->> 'score_state') = 'SCORED'
),

cycles as (
    select
        athlete,
        cast(payload ->> 'start' as timestamptz) as ts,
        cast(payload -> 'score' ->> 'strain' as double) as strain,
        _dlt_load_id as load_id
    from {{ optional_source('raw_whoop', 'cycle', {
        'athlete': 'varchar', 'payload': 'json', '_dlt_load_id': 'varchar'}) }}
    where (payload ->> 'score_state') = 'SCORED'
),

bodies as (
    select
        athlete,
        date_trunc('day', timezone('UTC', _fetched_at)) as read_day,
        payload,
        _dlt_load_id as load_id
    from {{ optional_source('raw_whoop', 'body_measurement', {
        'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz', '_dlt_load_id': 'varchar'}) }}
),

unioned as (
    {%- for metric, field in [
        ('hrv_rmssd', 'hrv_rmssd_milli'), ('resting_heart_rate', 'resting_heart_rate'),
        ('spo2', 'spo2_percentage'), ('skin_temperature', 'skin_temp_celsius'),
        ('whoop_recovery_score', 'recovery_score')] %}
    select athlete, '{{ metric }}' as metric, ts, {{ json_field(field, 'double', 'score') }} as value, load_id
    from recoveries
    union all
    {%- endfor %}
    select athlete, 'whoop_strain' as metric, ts, strain as value, load_id from cycles
    union all
    select
        athlete, 'weight' as metric, timezone('UTC', read_day) as ts,
        {{ json_field('weight_kilogram', 'double') }} as value, load_id
    from bodies
    union all
    select
        athlete, 'height' as metric, timezone('UTC', read_day) as ts,
        {{ json_field('height_meter', 'double') }} as value, load_id
    from bodies
)

select
    athlete as athlete_id,
    'whoop:' || athlete || ':band' as device_id,
    'whoop' as source,
    metric,
    ts,
    value,
    load_id
from unioned
where value is not null and ts is not null
