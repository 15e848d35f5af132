{{ config(materialized='table') }}
-- Which canonical activity each recording belongs to, and its role there (the merge).
--
-- Two recordings are the SAME WORKOUT (an edge) when they belong to the same athlete, have compatible sports
-- (same family: run, ride, swim, strength; 'other' is compatible with any) and either
--   a) come from different devices and their time intervals overlap by at least 50 % of the shorter one
--      (clock skew of up to 2 min only shaves a little off a long overlap; a warm-up that touches the race,
--      or a run followed minutes later by strength, overlaps by ~0 % and stays separate), or
--   b) come from the same device and either the second file starts at most 150 s after the first one ended
--      (a device that split one workout into two files; a genuinely new workout needs a longer break), or the
--      two files overlap by at least 50 % of the shorter (the same workout saved twice: a summary file and a
--      detailed file, or one activity exported twice under different names).
-- Activities are the connected components of these edges (a recursive walk over the small edge list).
--
-- Stable activity_id: 'act_' || md5(anchor recording_id), the anchor being the component's recording with the
-- smallest (loaded_at, recording_id), i.e. the recording that was in the warehouse first. A source that later
-- adds another copy of the workout loads after it, so the id does not change (and an unmatched recording keeps
-- the id it always had). Only a new recording that bridges two existing activities can retire one of the ids.
--
-- Redundant: of two recordings of one device that overlap by at least 50 % of the shorter, the worse one (fewer
-- of GPS, heart rate and power; then shorter; then loaded later) is redundant: kept as a linked 'merged'
-- recording, but its samples and totals are not used (one timeline per device; the best file wins). Ranking
-- by sample count would read every sample of the history on every build.
--
-- Role: 'primary' for the non-redundant recording whose device ranks best for field 'summary' in
-- seeds/source_priority.csv (then earliest start, recording_id); every other recording is 'merged'.
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
        -- how complete a file is, for choosing between two copies of one workout from the same device
        coalesce(recordings.has_gps, false)::int + (recordings.avg_hr is not null)::int
            + (recordings.avg_power_w is not null)::int as channel_count,
        coalesce(recordings.duration_s, 0) as duration_rank_s,
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
            and {{ overlaps_half_of_shorter('a', 'b') }}
        )
        or (
            a.device_key = b.device_key
            and (
                greatest(epoch(a.start_time), epoch(b.start_time))
                    - least(epoch(a.end_time), epoch(b.end_time)) between 0 and 150
                or {{ overlaps_half_of_shorter('a', 'b') }}
            )
        )
),

undirected as (
    select a_id as from_id, b_id as to_id from edges
    union all
    select b_id, a_id from edges
),

reachable (recording_id, member_id) as (
    select recording_id, recording_id as member_id from recordings
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

redundant as (
    -- recordings that another, better recording of the same device and workout covers (see the header)
    select distinct worse.recording_id
    from recordings as worse
    inner join components as worse_component on worse_component.recording_id = worse.recording_id
    inner join recordings as better
        on better.device_key = worse.device_key
        and better.athlete_id = worse.athlete_id
        and better.recording_id <> worse.recording_id
        and better.start_time <= worse.end_time
        and worse.start_time <= better.end_time
    inner join components as better_component
        on better_component.recording_id = better.recording_id
        and better_component.component_key = worse_component.component_key
    where {{ overlaps_half_of_shorter('better', 'worse') }}
        and (better.channel_count, better.duration_rank_s, -coalesce(better.loaded_epoch, 9e18), worse.recording_id)
            > (worse.channel_count, worse.duration_rank_s, -coalesce(worse.loaded_epoch, 9e18), better.recording_id)
),

ranked as (
    select
        recordings.*,
        components.component_key,
        redundant.recording_id is not null as is_redundant,
        row_number() over (
            partition by components.component_key
            order by recordings.loaded_epoch asc nulls last, recordings.recording_id asc
        ) as anchor_rank,
        row_number() over (
            partition by components.component_key
            order by redundant.recording_id is not null, coalesce(priority.priority, 99), recordings.start_time,
                recordings.recording_id
        ) as summary_rank
    from recordings
    inner join components using (recording_id)
    left join redundant using (recording_id)
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
    is_redundant,
    device_key,
    device_type,
    athlete_id,
    -- the load that delivered the recording (and its samples): an incremental build reads only these loads
    load_id
from ranked
