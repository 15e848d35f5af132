-- Gadgetbridge sleep stages (light/deep/rem/awake intervals) of the nights stg_gadgetbridge__sleep_sessions keeps.
select
    sleep_id,
    stage,
    start_time,
    end_time,
    duration_s,
    source
from {{ ref('stg_gadgetbridge__sleep_records') }}
where sleep_id in (select sleep_id from {{ ref('stg_gadgetbridge__sleep_sessions') }})
