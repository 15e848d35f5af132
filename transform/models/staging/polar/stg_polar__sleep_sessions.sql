-- Polar nights (Sleep Plus Stages). Start and end carry their offset ('2020-01-01T00:39:07+03:00'); the night
-- belongs to its result `date` (the morning it ends). Stage totals are seconds (light = N1 + N2, deep = N3);
-- awake is the total interruption time; the score is Polar's sleep score (1-100). Heart rate: mean and lowest
-- of the night's five-minute samples. HRV (RMSSD, ms) and breathing rate come from the Nightly Recharge of the
-- same date (Polar measures them over four hours from 30 minutes after falling asleep).
with nights as (
    select * from {{ optional_source('raw_polar', 'sleep', {
        'athlete': 'varchar', 'date': 'date', 'payload': 'json', '_fetched_at': 'timestamptz',
        '_dlt_load_id': 'varchar'}) }}
),

recharges as (
    select
        athlete,
        date,
        {{ json_field('heart_rate_variability_avg', 'double') }} as hrv_rmssd_ms,
        {{ json_field('breathing_rate_avg', 'double') }} as breathing_rate
    from {{ optional_source('raw_polar', 'nightly_recharge', {
        'athlete': 'varchar', 'date': 'date', 'payload': 'json'}) }}
),

heart_rates as (
    select
        nights.athlete,
        nights.date,
        avg(cast(sample.value as double)) as avg_hr,
        min(cast(sample.value as double)) as lowest_hr
    from nights, json_each(nights.payload -> 'heart_rate_samples') as sample
    group by all
),

shaped as (
    select
        nights.*,
        cast(nights.payload ->> 'sleep_start_time' as timestamptz) as start_time,
        cast(nights.payload ->> 'sleep_end_time' as timestamptz) as end_time,
        {{ tzd_to_seconds("right(payload ->> 'sleep_end_time', 6)") }} as offset_s
    from nights
)

select
    'polar:' || shaped.athlete || ':' || strftime(shaped.date, '%Y-%m-%d') as sleep_id,
    strftime(shaped.date, '%Y-%m-%d') as external_id,
    shaped.athlete as athlete_id,
    'polar:' || {{ json_field('device_id') }} as device_id,
    'polar' as source,
    start_time,
    end_time,
    case when offset_s between -50400 and 50400 then offset_s end as utc_offset_s,
    shaped.date as local_date,
    epoch(end_time) - epoch(start_time) as duration_s,
    {{ json_field('deep_sleep', 'double') }} as deep_s,
    {{ json_field('light_sleep', 'double') }} as light_s,
    {{ json_field('rem_sleep', 'double') }} as rem_s,
    {{ json_field('total_interruption_duration', 'double') }} as awake_s,
    {{ within(json_field('sleep_score', 'double'), 0, 100) }} as score,
    {{ within('heart_rates.avg_hr', 25, 250) }} as avg_hr,
    {{ within('heart_rates.lowest_hr', 25, 250) }} as lowest_hr,
    {{ within('recharges.hrv_rmssd_ms', 1, 300) }} as hrv_rmssd_ms,
    recharges.breathing_rate as respiration_rate,
    shaped._fetched_at as fetched_at,
    shaped._dlt_load_id as load_id
from shaped
left join heart_rates on heart_rates.athlete = shaped.athlete and heart_rates.date = shaped.date
left join recharges on recharges.athlete = shaped.athlete and recharges.date = shaped.date
where start_time is not null and end_time is not null and end_time > start_time
