-- Weigh-ins: weight (weightGrams / 1000 -> kg) and body fat (%) of one device at one instant form one weigh-in
-- (a smart scale writes both with the same sample time).
with samples as (
    select
        athlete_id,
        device_id,
        cast(coalesce(
            payload -> 'weight' -> 'sampleTime' ->> 'physicalTime',
            payload -> 'bodyFat' -> 'sampleTime' ->> 'physicalTime'
        ) as timestamptz) as ts,
        cast(payload -> 'weight' ->> 'weightGrams' as double) / 1000 as weight_kg,
        cast(payload -> 'bodyFat' ->> 'percentage' as double) as body_fat_pct,
        load_id
    from {{ ref('stg_google_health__data_points') }}
    where data_type in ('weight', 'body_fat')
)

select
    athlete_id,
    device_id,
    'google_health' as source,
    ts,
    {{ within('max(weight_kg)', 25, 300) }} as weight_kg,
    {{ within('max(body_fat_pct)', 2, 70) }} as body_fat_pct,
    max(load_id) as load_id
from samples
where ts is not null
group by athlete_id, device_id, ts
