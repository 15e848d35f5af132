-- Health Connect weigh-ins: weight (stored in grams, here kg) and body fat (0-100 %), one row per device and
-- instant.
select
    device_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    start_time as ts,
    {{ within("max(case when record_type = 'weight' then value / 1000 end)", 25, 300) }} as weight_kg,
    {{ within("max(case when record_type = 'body_fat' then value end)", 0, 80) }} as body_fat_pct,
    'files' as source,
    -- the newest load of the instant's records: an edited weight beside an unchanged body fat still marks
    -- the instant as changed for the incremental build
    max(load_id) as load_id
from {{ ref('stg_health_connect__records') }}
where record_type in ('weight', 'body_fat') and value is not null
group by device_id, start_time
