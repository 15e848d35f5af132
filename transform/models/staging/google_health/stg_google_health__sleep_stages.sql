-- The hypnogram of each Google Health sleep: its stage segments (contiguous, non-overlapping). DEEP, LIGHT,
-- REM and AWAKE map to OpenFit stages; classic sleep's ASLEEP and RESTLESS have no OpenFit stage and are left
-- out (their totals stay in the raw summary).
with segments as (
    select
        points.id,
        stages.segment
    from {{ ref('stg_google_health__data_points') }} as points,
        unnest(cast(points.payload -> 'sleep' -> 'stages' as json[])) as stages (segment)
    where points.data_type = 'sleep'
),

shaped as (
    select
        id,
        lower(segment ->> 'type') as stage,
        cast(segment ->> 'startTime' as timestamptz) as start_time,
        cast(segment ->> 'endTime' as timestamptz) as end_time
    from segments
)

select
    {{ source_scoped_id("'google_health'", 'id') }} as sleep_id,
    stage,
    start_time,
    end_time,
    epoch(end_time) - epoch(start_time) as duration_s,
    'google_health' as source
from shaped
where stage in ('deep', 'light', 'rem', 'awake') and end_time > start_time
