-- Beat-to-beat (RR) intervals from FIT activity files' hrv messages, one metric row per beat ('rr_interval',
-- ms, at the instant the beat ends). hrv messages carry no time: the intervals run back to back from the
-- recording's start (its first session's start, else its first record), so a beat's instant is that start plus
-- the sum of the intervals up to it. A pause or sensor dropout shifts the later beats; the raw intervals stay
-- in raw_files.fit_hrv. Implausible intervals (< 200 ms or > 3 s: artefacts) still advance the clock but are
-- not loaded as metrics.
with beats as (
    select file_sha256, beat_index, rr_s, _dlt_load_id as load_id
    from {{ optional_source('raw_files', 'fit_hrv', {
        'file_sha256': 'varchar', 'beat_index': 'bigint', 'rr_s': 'double', '_dlt_load_id': 'varchar'}) }}
    where rr_s > 0
),

session_starts as (
    select file_sha256, min(start_time) as start_time
    from {{ optional_source('raw_files', 'fit_session', {'file_sha256': 'varchar', 'start_time': 'timestamptz'}) }}
    group by file_sha256
),

record_starts as (
    select file_sha256, min("timestamp") as start_time
    from {{ optional_source('raw_files', 'fit_record', {'file_sha256': 'varchar', 'timestamp': 'timestamptz'}) }}
    group by file_sha256
),

timed as (
    select
        beats.file_sha256,
        beats.rr_s,
        beats.load_id,
        coalesce(session_starts.start_time, record_starts.start_time) + to_microseconds(cast(round(1e6 * sum(
            beats.rr_s) over (partition by beats.file_sha256 order by beats.beat_index
                              rows between unbounded preceding and current row)) as bigint)) as ts
    from beats
    left join session_starts using (file_sha256)
    left join record_starts using (file_sha256)
)

select
    '{{ var("files_athlete_id") }}' as athlete_id,
    cast(null as varchar) as device_id,
    'files' as source,
    'rr_interval' as metric,
    ts,
    rr_s * 1000 as value,
    load_id
from timed
where ts is not null and rr_s between 0.2 and 3.0
-- the same workout imported from two different files gives the same beats once
qualify row_number() over (partition by ts order by file_sha256) = 1
