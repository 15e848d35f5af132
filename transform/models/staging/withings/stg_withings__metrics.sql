-- Withings measures that the OpenFit metric vocabulary (seeds/metric_types.csv) has: heart pulse
-- (meastype 11, bpm) and SpO2 (meastype 54, %). Weight and fat ratio arrive as weigh-ins
-- (stg_withings__weigh_ins); everything else stays in stg_withings__measures.
select
    athlete_id,
    device_id,
    'withings' as source,
    case meastype when 11 then 'heart_rate' when 54 then 'spo2' end as metric,
    ts,
    value,
    load_id
from {{ ref('stg_withings__measures') }}
where meastype in (11, 54)
    and ts is not null
    and case meastype when 11 then value between 25 and 250 else value between 50 and 100 end
