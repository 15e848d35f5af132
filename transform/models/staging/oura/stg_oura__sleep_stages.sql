-- Oura's hypnogram: sleep_phase_5_min has one character per 5 minutes from bedtime_start
-- (1 deep, 2 light, 3 rem, 4 awake); the last interval ends at bedtime_end at the latest.
with sleep as (
    select
        id,
        cast(payload ->> 'bedtime_start' as timestamptz) as bedtime_start,
        cast(payload ->> 'bedtime_end' as timestamptz) as bedtime_end,
        payload ->> 'sleep_phase_5_min' as phases,
        _fetched_at
    from {{ optional_source('raw_oura', 'sleep', {
        'id': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz'}) }}
),

intervals as (
    select
        id,
        bedtime_start + to_minutes(5 * slot) as start_time,
        least(bedtime_start + to_minutes(5 * (slot + 1)), bedtime_end) as end_time,
        substr(phases, cast(slot + 1 as integer), 1) as phase,
        _fetched_at
    from sleep, range(0, length(phases)) as slots (slot)
    where phases is not null and bedtime_start is not null
)

select
    'oura:' || id as sleep_id,
    case phase when '1' then 'deep' when '2' then 'light' when '3' then 'rem' when '4' then 'awake' end as stage,
    start_time,
    end_time,
    epoch(end_time) - epoch(start_time) as duration_s,
    'oura' as source,
    _fetched_at as fetched_at
from intervals
where phase in ('1', '2', '3', '4') and end_time > start_time
