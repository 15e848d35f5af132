-- Apple Health nights, summed from their sleep records (stg_apple_health__sleep_records); a night belongs to the
-- local date on which it ends (the offset Apple wrote with the last record's end).
select
    sleep_id,
    sleep_id as external_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    any_value(device_id) as device_id,
    'files' as source,
    min(start_time) as start_time,
    max(end_time) as end_time,
    arg_max(end_offset_min, end_time) * 60 as utc_offset_s,
    cast((max(end_time) at time zone 'UTC') + to_minutes(coalesce(arg_max(end_offset_min, end_time), 0)) as date)
        as local_date,
    epoch(max(end_time)) - epoch(min(start_time)) as duration_s,
    sum(case when stage = 'deep' then duration_s end) as deep_s,
    sum(case when stage = 'light' then duration_s end) as light_s,
    sum(case when stage = 'rem' then duration_s end) as rem_s,
    sum(case when stage = 'awake' then duration_s end) as awake_s,
    cast(null as double) as score,
    cast(null as double) as avg_hr,
    cast(null as integer) as lowest_hr,
    cast(null as double) as hrv_rmssd_ms,
    cast(null as double) as respiration_rate
from {{ ref('stg_apple_health__sleep_records') }}
group by sleep_id
having epoch(max(end_time)) - epoch(min(start_time)) between 60 and 86400
