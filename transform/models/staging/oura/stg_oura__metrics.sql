-- Oura's time series as OpenFit metrics: all-day heart rate (bpm), and daily values stamped at the start of
-- their day (UTC): SpO2 average (%), seconds of high stress and of high recovery, VO2max (ml/kg/min).
with heart_rate as (
    select athlete, "timestamp" as ts, cast(bpm as double) as value, _dlt_load_id as load_id
    from {{ optional_source('raw_oura', 'heart_rate', {
        'athlete': 'varchar', 'timestamp': 'timestamptz', 'bpm': 'bigint', '_dlt_load_id': 'varchar'}) }}
),

{% for table in ['daily_spo2', 'daily_stress', 'vo2_max'] %}
{{ table }} as (
    select * from {{ optional_source('raw_oura', table, {
        'athlete': 'varchar', 'day': 'varchar', 'payload': 'json', '_dlt_load_id': 'varchar'}) }}
),
{% endfor %}

unioned as (
    select athlete, 'heart_rate' as metric, ts, value, load_id from heart_rate
    union all
    select athlete, 'spo2' as metric, cast(day as timestamptz) as ts,
        cast(payload -> '$.spo2_percentage' ->> 'average' as double) as value, _dlt_load_id as load_id
    from daily_spo2
    union all
    select athlete, 'stress_high_duration' as metric, cast(day as timestamptz) as ts,
        {{ json_field('stress_high', 'double') }} as value, _dlt_load_id as load_id
    from daily_stress
    union all
    select athlete, 'recovery_high_duration' as metric, cast(day as timestamptz) as ts,
        {{ json_field('recovery_high', 'double') }} as value, _dlt_load_id as load_id
    from daily_stress
    union all
    select
        athlete, 'vo2_max' as metric,
        coalesce(cast(payload ->> 'timestamp' as timestamptz), cast(day as timestamptz)) as ts,
        {{ json_field('vo2_max', 'double') }} as value, _dlt_load_id as load_id
    from vo2_max
)

select
    athlete as athlete_id,
    'oura:' || athlete || ':ring' as device_id,
    'oura' as source,
    metric,
    ts,
    value,
    load_id
from unioned
where value is not null and ts is not null
