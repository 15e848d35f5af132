-- Polar's hypnogram: {"HH:MM": stage} at each change of stage, in the night's local wall time (0 wake, 1 REM,
-- 2 lighter non-REM, 3 light non-REM, 4 deep non-REM, 5 unknown). A stage lasts until the next change, the
-- last one until the end of the sleep. A wall time earlier than the local start lies after midnight. Unknown
-- (bad skin contact) is in no OpenFit stage.
with nights as (
    select
        sleeps.sleep_id,
        sleeps.start_time,
        sleeps.end_time,
        timezone('UTC', sleeps.start_time) + to_seconds(coalesce(sleeps.utc_offset_s, 0)) as local_start,
        coalesce(sleeps.utc_offset_s, 0) as offset_s,
        raw.payload -> 'hypnogram' as hypnogram,
        raw._fetched_at
    from {{ ref('stg_polar__sleep_sessions') }} as sleeps
    inner join {{ optional_source('raw_polar', 'sleep', {
        'athlete': 'varchar', 'date': 'date', 'payload': 'json', '_fetched_at': 'timestamptz'}) }} as raw
        on sleeps.athlete_id = raw.athlete and sleeps.local_date = raw.date
),

changes as (
    select
        nights.sleep_id,
        nights.start_time as sleep_start,
        nights.end_time,
        nights._fetched_at,
        change.value::varchar as stage_code,
        -- the wall time on the start's date, or the next date when it is earlier than the start (minute-exact)
        timezone('UTC',
            (local_start::date)::timestamp + (change.key || ':00')::interval
            + case when (change.key || ':00')::time < (date_trunc('minute', local_start))::time
                then interval 1 day else interval 0 day end
            - to_seconds(offset_s)) as start_time
    from nights, json_each(nights.hypnogram) as change
),

intervals as (
    select
        sleep_id,
        stage_code,
        greatest(start_time, sleep_start) as start_time,
        least(lead(start_time) over (partition by sleep_id order by start_time), end_time) as next_start,
        end_time,
        _fetched_at
    from changes
)

select
    sleep_id,
    case stage_code when '0' then 'awake' when '1' then 'rem' when '2' then 'light' when '3' then 'light'
        when '4' then 'deep' end as stage,
    start_time,
    coalesce(next_start, end_time) as end_time,
    epoch(coalesce(next_start, end_time)) - epoch(start_time) as duration_s,
    'polar' as source,
    _fetched_at as fetched_at
from intervals
where stage_code in ('0', '1', '2', '3', '4') and coalesce(next_start, end_time) > start_time
