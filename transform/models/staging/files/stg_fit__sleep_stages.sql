-- Sleep stages from FIT wellness files' sleep_level messages: each message starts a level that lasts until the
-- next message (the last one for the file's usual spacing, else 60 s); consecutive messages of one level form
-- one stage. One sleep per file: sleep_id 'files:<sha256>'. 'unmeasurable' spans are not stages.
with levels as (
    select
        file_sha256,
        "timestamp" as start_time,
        lead("timestamp") over (partition by file_sha256 order by "timestamp", row_index) as next_time,
        lower(sleep_level) as level,
        row_index
    from {{ optional_source('raw_files', 'fit_sleep_level', {
        'file_sha256': 'varchar', 'row_index': 'bigint', 'timestamp': 'timestamptz', 'sleep_level': 'varchar'}) }}
    where "timestamp" is not null
),

spacing as (
    select file_sha256, median(epoch(next_time) - epoch(start_time)) as step_s
    from levels
    group by file_sha256
),

spans as (
    select
        levels.file_sha256,
        levels.level,
        levels.start_time,
        coalesce(levels.next_time, levels.start_time + to_seconds(coalesce(spacing.step_s, 60))) as end_time,
        row_number() over (partition by levels.file_sha256 order by levels.start_time, levels.row_index)
            - row_number() over (partition by levels.file_sha256, levels.level
                                 order by levels.start_time, levels.row_index) as run_id
    from levels
    left join spacing using (file_sha256)
)

select
    'files:' || file_sha256 as sleep_id,
    level as stage,
    min(start_time) as start_time,
    max(end_time) as end_time,
    epoch(max(end_time)) - epoch(min(start_time)) as duration_s,
    'files' as source
from spans
where level in ('deep', 'light', 'rem', 'awake')
group by file_sha256, level, run_id
having max(end_time) > min(start_time)
