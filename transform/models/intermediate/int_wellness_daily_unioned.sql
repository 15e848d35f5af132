-- One row per athlete, local date, source and device, assembled from that device's daily summary, its
-- weigh-ins (the day's last) and its sleep (sessions ending that local day). int_wellness_daily_chosen adds the
-- chosen values.
with summaries as (
    {{ union_sources(
        [ref('stg_synthetic__daily_summaries'), ref('stg_oura__daily_summaries'),
         ref('stg_apple_health__daily_summaries'), ref('stg_fitbit__daily_summaries'), ref('stg_withings__daily_summaries'),
         ref('stg_whoop__daily_summaries'), ref('stg_polar__daily_summaries'), ref('stg_gadgetbridge__daily_summaries'), ref('stg_google_health__daily_summaries'),
         ref('stg_health_connect__daily_summaries')],
        ['athlete_id', 'local_date', 'source', 'device_id', 'resting_hr', 'hrv_rmssd_ms', 'steps', 'active_kcal',
         'stress_avg']
    ) }}
),

weigh_ins as (
    -- Weigh-ins carry no offset: date them in the athlete's home time zone (UTC when it is unknown).
    select
        weigh_ins.athlete_id,
        cast(timezone(coalesce(athletes.home_timezone, 'UTC'), weigh_ins.ts) as date) as local_date,
        weigh_ins.source,
        weigh_ins.device_id,
        weigh_ins.ts,
        weigh_ins.weight_kg,
        weigh_ins.body_fat_pct
    from {{ ref('stg_synthetic__weigh_ins') }} as weigh_ins
    left join {{ ref('int_athletes_unioned') }} as athletes using (athlete_id)
),

daily_weights as (
    select
        athlete_id,
        local_date,
        source,
        device_id,
        arg_max(weight_kg, ts) as weight_kg,
        arg_max(body_fat_pct, ts) as body_fat_pct
    from weigh_ins
    group by all
),

daily_sleep as (
    select
        athlete_id,
        local_date,
        source,
        device_id,
        sum(duration_s - coalesce(awake_s, 0)) as sleep_s,
        -- The day's main sleep (the longest) scores the night.
        arg_max(score, duration_s) as sleep_score
    from {{ ref('int_sleep_sessions_unioned') }}
    group by all
),

parts as (
    select
        athlete_id, local_date, source, device_id, resting_hr, hrv_rmssd_ms, steps, active_kcal, stress_avg,
        cast(null as double) as weight_kg, cast(null as double) as body_fat_pct, cast(null as double) as sleep_s,
        cast(null as double) as sleep_score
    from summaries
    union all
    select
        athlete_id, local_date, source, device_id, null as resting_hr, null as hrv_rmssd_ms, null as steps,
        null as active_kcal, null as stress_avg, weight_kg, body_fat_pct, null as sleep_s, null as sleep_score
    from daily_weights
    union all
    select
        athlete_id, local_date, source, device_id, null as resting_hr, null as hrv_rmssd_ms, null as steps,
        null as active_kcal, null as stress_avg, null as weight_kg, null as body_fat_pct, sleep_s, sleep_score
    from daily_sleep
)

select
    athlete_id,
    local_date as date,
    source,
    device_id,
    max(resting_hr) as resting_hr,
    max(hrv_rmssd_ms) as hrv_rmssd_ms,
    max(steps) as steps,
    max(weight_kg) as weight_kg,
    max(body_fat_pct) as body_fat_pct,
    max(active_kcal) as active_kcal,
    max(stress_avg) as stress_avg,
    max(sleep_s) as sleep_s,
    max(sleep_score) as sleep_score
from parts
group by athlete_id, local_date, source, device_id
