-- Gadgetbridge nights, summed from their stage intervals (stg_gadgetbridge__sleep_records); time inside the
-- night that is no sleep stage (the band saw the wearer awake) counts as awake. Dated by the UTC date the night
-- ends on (Gadgetbridge stores no offset). Nights shorter than 15 minutes are naps the bands mislabel: dropped.
select
    sleep_id,
    sleep_id as external_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    any_value(device_id) as device_id,
    'files' as source,
    min(start_time) as start_time,
    max(end_time) as end_time,
    0 as utc_offset_s,
    cast(max(end_time) at time zone 'UTC' as date) as local_date,
    epoch(max(end_time)) - epoch(min(start_time)) as duration_s,
    sum(case when stage = 'deep' then duration_s end) as deep_s,
    sum(case when stage = 'light' then duration_s end) as light_s,
    sum(case when stage = 'rem' then duration_s end) as rem_s,
    epoch(max(end_time)) - epoch(min(start_time))
    - coalesce(sum(case when stage in ('deep', 'light', 'rem') then duration_s end), 0) as awake_s,
    cast(null as double) as score,
    cast(null as double) as avg_hr,
    cast(null as integer) as lowest_hr,
    cast(null as double) as hrv_rmssd_ms,
    cast(null as double) as respiration_rate
from {{ ref('stg_gadgetbridge__sleep_records') }}
group by sleep_id
having epoch(max(end_time)) - epoch(min(start_time)) between 900 and 86400
