{{ config(materialized='table') }}
-- Which canonical activity each recording belongs to, and its role there (issue 5 merge).
--
-- Two recordings are the SAME WORKOUT (an edge) when they belong to the same athlete, have compatible sports
-- (same family: run, ride, swim, strength; 'other' is compatible with any) and either
--   a) come from different devices and their time intervals overlap by at least 50 % of the shorter one
--      (clock skew of up to 2 min only shaves a little off a long overlap; a warm-up that touches the race,
--      or a run followed minutes later by strength, overlaps by ~0 % and stays separate), or
--   b) come from the same device and the second file starts at most 150 s after the first one ended
--      (a device that split one workout into two files; a genuinely new workout needs a longer break).
-- Activities are the connected components of these edges (a recursive walk over the small edge list).
--
-- Stable activity_id: 'act_' || md5(anchor recording_id), the anchor being the component's recording with the
-- smallest (loaded_at, recording_id), i.e. the recording that was in the warehouse first. A source that later
-- adds another copy of the workout loads after it, so the id does not change (and an unmatched recording keeps
-- the id it always had). Only a new recording that bridges two existing activities can retire one of the ids.
--
-- Role: 'primary' for the recording whose device ranks best for field 'summary' in seeds/source_priority.csv
-- (then earliest start, recording_id); every other recording of the activity is 'merged'.
with recursive recordings as (
    select
        recordings.recording_id,
        recordings.athlete_id,
        coalesce(recordings.device_id, recordings.source || ':' || recordings.recording_id) as device_key,
        coalesce(devices.device_type, 'unknown') as device_type,
        recordings.start_time,
        coalesce(recordings.end_time, recordings.start_time + to_seconds(coalesce(recordings.duration_s, 0)))
            as end_time,
        try_cast(recordings.load_id as double) as loaded_epoch,
        recordings.load_id,
        case recordings.sport
            when 'running' then 'run'
            when 'cycling' then 'ride'
            when 'swimming' then 'swim'
            when 'strength_training' then 'strength'
            else 'other'
        end as sport_family
    from {{ ref('int_activity_recordings_unioned') }} as recordings
    left join {{ ref('int_devices_unioned') }} as devices
        on devices.device_id = recordings.device_id
),

edges as (
    select a.recording_id as a_id, b.recording_id as b_id
    from recordings as a
    inner join recordings as b
        on a.athlete_id = b.athlete_id
        and a.recording_id < b.recording_id
        and (a.sport_family = b.sport_family or a.sport_family = 'other' or b.sport_family = 'other')
        -- the time window join: intervals that overlap or lie within 150 s of each other
        and b.start_time <= a.end_time + interval 150 second
        and a.start_time <= b.end_time + interval 150 second
    where
        (
            a.device_key <> b.device_key
            and epoch(least(a.end_time, b.end_time)) - epoch(greatest(a.start_time, b.start_time))
                >= 0.5 * least(epoch(a.end_time) - epoch(a.start_time), epoch(b.end_time) - epoch(b.start_time))
            and least(epoch(a.end_time) - epoch(a.start_time), epoch(b.end_time) - epoch(b.start_time)) > 0
        )
        or (
            a.device_key = b.device_key
            and greatest(epoch(a.start_time), epoch(b.start_time))
                - least(epoch(a.end_time), epoch(b.end_time)) between 0 and 150
        )
),

undirected as (
    select a_id as from_id, b_id as to_id from edges
    union all
    select b_id, a_id from edges
),

reachable(recording_id, member_id) as (
    select recording_id, recording_id from recordings
    union
    select reachable.recording_id, undirected.to_id
    from reachable
    inner join undirected on undirected.from_id = reachable.member_id
),

components as (
    -- component key: the smallest reachable recording_id (only used to group; the id comes from the anchor)
    select recording_id, min(member_id) as component_key
    from reachable
    group by recording_id
),

ranked as (
    select
        recordings.*,
        components.component_key,
        row_number() over (
            partition by components.component_key
            order by recordings.loaded_epoch asc nulls last, recordings.recording_id
        ) as anchor_rank,
        row_number() over (
            partition by components.component_key
            order by coalesce(priority.priority, 99), recordings.start_time, recordings.recording_id
        ) as summary_rank
    from recordings
    inner join components using (recording_id)
    left join {{ ref('source_priority') }} as priority
        on priority.field = 'summary'
        and priority.device_type = recordings.device_type
)

select
    recording_id,
    'act_' || left(md5(first(recording_id) over (
        partition by component_key order by anchor_rank
    )), 16) as activity_id,
    case when summary_rank = 1 then 'primary' else 'merged' end as recording_role,
    device_key,
    device_type,
    athlete_id,
    -- the load that delivered the recording (and its samples): an incremental build reads only these loads
    load_id
from ranked
