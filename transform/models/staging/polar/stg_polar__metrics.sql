-- Polar values as OpenFit metrics. Continuous heart rate (five-minute samples, bpm): `sample_time` is the
-- device's wall time on the sample's `date`; AccessLink gives no offset for it, so the athlete's offset of that
-- day's sleep is used (else UTC). Nightly Recharge, stamped at the end of the night's sleep (else the start of
-- its date, UTC): hrv_rmssd (RMSSD, ms; never SDNN). Weight (kg) and height (m, Polar sends cm) of the
-- registered user, at the start of the UTC day they were read.
with heart_rate_days as (
    select athlete, date, payload, _dlt_load_id as load_id
    from {{ optional_source('raw_polar', 'continuous_heart_rate', {
        'athlete': 'varchar', 'date': 'date', 'payload': 'json', '_dlt_load_id': 'varchar'}) }}
),

offsets as (
    select athlete_id, local_date, any_value(utc_offset_s) as offset_s
    from {{ ref('stg_polar__sleep_sessions') }}
    group by all
),

heart_rate_samples as (
    select
        days.athlete,
        days.date,
        days.load_id,
        samples.sample ->> 'sample_time' as sample_time,
        cast(samples.sample ->> 'heart_rate' as double) as value
    from heart_rate_days as days,
        unnest(cast(coalesce(days.payload -> 'heart_rate_samples', '[]') as json[])) as samples (sample)
),

heart_rates as (
    select
        samples.athlete,
        'heart_rate' as metric,
        timezone('UTC', cast(samples.date as timestamp) + cast(samples.sample_time as interval)
            - to_seconds(coalesce(offsets.offset_s, 0))) as ts,
        samples.value,
        samples.load_id
    from heart_rate_samples as samples
    left join offsets on offsets.athlete_id = samples.athlete and offsets.local_date = samples.date
),

recharges as (
    select
        recharge.athlete,
        'hrv_rmssd' as metric,
        coalesce(sleeps.end_time, timezone('UTC', cast(recharge.date as timestamp))) as ts,
        cast(recharge.payload ->> 'heart_rate_variability_avg' as double) as value,
        recharge._dlt_load_id as load_id
    from {{ optional_source('raw_polar', 'nightly_recharge', {
        'athlete': 'varchar', 'date': 'date', 'payload': 'json', '_dlt_load_id': 'varchar'}) }} as recharge
    left join {{ ref('stg_polar__sleep_sessions') }} as sleeps
        on sleeps.athlete_id = recharge.athlete and sleeps.local_date = recharge.date
),

users as (
    select
        athlete,
        timezone('UTC', date_trunc('day', timezone('UTC', _fetched_at))) as ts,
        payload,
        _dlt_load_id as load_id
    from {{ optional_source('raw_polar', 'user', {
        'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz', '_dlt_load_id': 'varchar'}) }}
),

unioned as (
    select athlete, metric, ts, value, load_id from heart_rates
    union all
    select athlete, metric, ts, value, load_id from recharges
    union all
    select athlete, 'weight' as metric, ts, {{ json_field('weight', 'double') }} as value, load_id from users
    union all
    select athlete, 'height' as metric, ts, {{ json_field('height', 'double') }} / 100 as value, load_id
    from users
)

select
    athlete as athlete_id,
    'polar:' || athlete || ':account' as device_id,
    'polar' as source,
    metric,
    ts,
    value,
    load_id
from unioned
where value is not null and ts is not null
qualify row_number() over (partition by athlete, metric, ts order by value desc) = 1
