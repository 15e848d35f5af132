-- One row per athlete and local day of waking: resting heart rate and HRV (RMSSD, ms) of the scored recovery
-- (WHOOP computes both from the night's sleep). Steps and active calories: WHOOP reports neither (a cycle's
-- kilojoules are total energy, kept in raw_whoop.cycle).
with recoveries as (
    select
        athlete,
        payload ->> 'sleep_id' as sleep_id,
        cast(payload -> 'score' ->> 'resting_heart_rate' as double) as resting_hr,
        cast(payload -> 'score' ->> 'hrv_rmssd_milli' as double) as hrv_rmssd_ms
    from {{ optional_source('raw_whoop', 'recovery', {'athlete': 'varchar', 'payload': 'json'}) }}
    where (payload ->> 'score_state') = 'SCORED'
)

select
    sleeps.athlete_id,
    sleeps.local_date,
    'whoop' as source,
    'whoop:' || sleeps.athlete_id || ':band' as device_id,
    arg_max({{ within('recoveries.resting_hr', 25, 150) }}, sleeps.duration_s) as resting_hr,
    arg_max({{ within('recoveries.hrv_rmssd_ms', 1, 300) }}, sleeps.duration_s) as hrv_rmssd_ms,
    cast(null as integer) as steps,
    cast(null as double) as active_kcal,
    cast(null as double) as stress_avg
from recoveries
inner join {{ ref('stg_whoop__sleep_sessions') }} as sleeps
    on sleeps.external_id = recoveries.sleep_id
    and sleeps.athlete_id = recoveries.athlete
group by all
