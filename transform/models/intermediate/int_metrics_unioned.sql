-- Time series of single values: all-day series plus weigh-ins, with their OpenFit unit.
with intraday as (
    {{ union_sources(
        [ref('stg_synthetic__intraday_metrics')],
        ['athlete_id', 'device_id', 'source', 'metric', 'ts', 'value']
    ) }}
),

weigh_ins as (
    {{ union_sources(
        [ref('stg_synthetic__weigh_ins')],
        ['athlete_id', 'device_id', 'source', 'ts', 'weight_kg', 'body_fat_pct']
    ) }}
),

unioned as (
    select athlete_id, device_id, source, metric, ts, value from intraday
    union all
    select athlete_id, device_id, source, 'weight', ts, weight_kg from weigh_ins where weight_kg is not null
    union all
    select athlete_id, device_id, source, 'body_fat', ts, body_fat_pct from weigh_ins where body_fat_pct is not null
)

select
    athlete_id,
    metric,
    ts,
    value,
    case metric
        when 'heart_rate' then 'bpm'
        when 'spo2' then '%'
        when 'stress' then 'score'
        when 'weight' then 'kg'
        when 'body_fat' then '%'
    end as unit,
    source,
    device_id
from unioned
