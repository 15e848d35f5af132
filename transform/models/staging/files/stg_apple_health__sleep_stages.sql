-- Apple Health sleep stages (light/deep/rem/awake) of the nights stg_apple_health__sleep_sessions keeps.
select
    records.sleep_id,
    records.stage,
    records.start_time,
    max(records.end_time) as end_time,
    max(records.duration_s) as duration_s,
    'files' as source
from {{ ref('stg_apple_health__sleep_records') }} as records
where records.stage is not null
    and records.sleep_id in (select sleep_id from {{ ref('stg_apple_health__sleep_sessions') }})
group by records.sleep_id, records.stage, records.start_time
qualify row_number() over (partition by records.sleep_id, records.start_time order by records.stage) = 1
