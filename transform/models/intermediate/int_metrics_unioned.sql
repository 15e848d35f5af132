-- Time series of single values: all-day series plus weigh-ins. The unit comes from the metric_types seed
-- (an unknown metric gets no unit, which the openfit tests reject).
with intraday as (
    {{ union_sources(
        [ref('stg_synthetic__intraday_metrics'), ref('stg_fit__monitoring'), ref('stg_fit__rr_intervals'),
         ref('stg_oura__metrics'), ref('stg_apple_health__metrics'), ref('stg_fitbit__metrics'),
         ref('stg_withings__metrics'), ref('stg_whoop__metrics'), ref('stg_polar__metrics'), ref('stg_gadgetbridge__metrics'),
         ref('stg_google_health__metrics'),
         ref('stg_health_connect__metrics')],
        ['athlete_id', 'device_id', 'source', 'metric', 'ts', 'value', 'load_id']
    ) }}
),

weigh_ins as (
    {{ union_sources(
        [ref('stg_synthetic__weigh_ins'), ref('stg_fit__weigh_ins'), ref('stg_apple_health__weigh_ins'), ref('stg_fitbit__weigh_ins'),
         ref('stg_withings__weigh_ins'), ref('stg_google_health__weigh_ins'),
         ref('stg_health_connect__weigh_ins')],
        ['athlete_id', 'device_id', 'source', 'ts', 'weight_kg', 'body_fat_pct', 'load_id']
    ) }}
),

unioned as (
    select athlete_id, device_id, source, metric, ts, value, load_id from intraday
    union all
    select athlete_id, device_id, source, 'weight' as metric, ts, weight_kg as value, load_id
    from weigh_ins where weight_kg is not null
    union all
    select athlete_id, device_id, source, 'body_fat' as metric, ts, body_fat_pct as value, load_id
    from weigh_ins where body_fat_pct is not null
)

select
    unioned.athlete_id,
    unioned.metric,
    unioned.ts,
    unioned.value,
    metric_types.unit,
    unioned.source,
    unioned.device_id,
    unioned.load_id
from unioned
left join {{ ref('metric_types') }} as metric_types
    on metric_types.metric = unioned.metric
