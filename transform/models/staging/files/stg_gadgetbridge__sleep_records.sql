-- Gadgetbridge sleep from the minute samples' activity kinds (normalised per device family when decoded, see
-- ingestion/files/gadgetbridge.py): each sample covers its minute; runs of one stage become stage intervals, and
-- a night is a run of one band's sleep minutes with gaps under one hour (the minutes of a gap count as awake in
-- the session). sleep_id = 'files:gadgetbridge:' || hash of the band and the night's first minute.
with sleep_minutes as (
    select
        device_id,
        ts as start_time,
        ts + interval 1 minute as end_time,
        case activity_kind
            when 'light_sleep' then 'light'
            when 'deep_sleep' then 'deep'
            when 'rem_sleep' then 'rem'
            when 'awake_sleep' then 'awake'
        end as stage
    from {{ ref('stg_gadgetbridge__samples') }}
    where activity_kind in ('light_sleep', 'deep_sleep', 'rem_sleep', 'awake_sleep')
),

marked as (
    select
        *,
        case
            when start_time - lag(end_time) over (partition by device_id order by start_time) < interval 1 hour
                then 0
            else 1
        end as starts_night,
        case
            when lag(stage) over (partition by device_id order by start_time) = stage
                and lag(end_time) over (partition by device_id order by start_time) = start_time then 0
            else 1
        end as starts_stage
    from sleep_minutes
),

numbered as (
    select
        *,
        sum(starts_night) over (partition by device_id order by start_time rows unbounded preceding) as night,
        sum(starts_stage) over (partition by device_id order by start_time rows unbounded preceding) as stage_run
    from marked
),

runs as (
    select
        device_id,
        night,
        stage_run,
        any_value(stage) as stage,
        min(start_time) as start_time,
        max(end_time) as end_time
    from numbered
    group by device_id, night, stage_run
)

select
    'files:gadgetbridge:' || md5(
        device_id || '|' || cast(min(start_time) over (partition by device_id, night) as varchar)
    ) as sleep_id,
    device_id,
    stage,
    start_time,
    end_time,
    epoch(end_time) - epoch(start_time) as duration_s,
    'files' as source
from runs
