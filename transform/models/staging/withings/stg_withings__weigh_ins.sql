-- Withings weigh-ins: groups with a weight (meastype 1, kg), with the fat ratio (meastype 6, %) taken at the
-- same weigh-in.
select
    athlete_id,
    device_id,
    'withings' as source,
    ts,
    {{ within("max(case when meastype = 1 then value end)", 25, 300) }} as weight_kg,
    {{ within("max(case when meastype = 6 then value end)", 2, 70) }} as body_fat_pct,
    max(load_id) as load_id
from {{ ref('stg_withings__measures') }}
group by athlete_id, group_id, device_id, ts
having max(case when meastype = 1 then value end) is not null
