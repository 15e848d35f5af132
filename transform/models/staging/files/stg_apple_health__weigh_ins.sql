-- Apple Health weigh-ins: body mass (kg; lb converted) and body fat (Apple writes a fraction with unit '%'),
-- one row per device and instant.
select
    device_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    start_time as ts,
    {{ within("max(case when type = 'HKQuantityTypeIdentifierBodyMass' then
        case unit when 'lb' then value_num * 0.45359237 when 'g' then value_num / 1000 else value_num end end)",
        25, 300) }} as weight_kg,
    {{ within("max(case when type = 'HKQuantityTypeIdentifierBodyFatPercentage' then
        case when value_num <= 1 then value_num * 100 else value_num end end)", 0, 80) }} as body_fat_pct,
    'files' as source,
    any_value(load_id) as load_id
from {{ ref('stg_apple_health__records') }}
where type in ('HKQuantityTypeIdentifierBodyMass', 'HKQuantityTypeIdentifierBodyFatPercentage')
    and value_num is not null
group by device_id, start_time
