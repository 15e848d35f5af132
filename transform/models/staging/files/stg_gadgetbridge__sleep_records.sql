-- Gadgetbridge sleep, minute by minute, from two places: the minute samples' activity kinds (normalised per device
-- family when decoded, see ingestion/files/gadgetbridge.py), and the stage changes Xiaomi bands keep apart
-- (raw_files.gadgetbridge_sleep_stage_sample: a stage lasts until the band's next change, at most until the
-- wake-up of its night in gadgetbridge_sleep_time_sample and 4 hours; these win over the minute samples' kinds).
-- Runs of one stage become stage intervals, and a night is a run of one band's sleep minutes with gaps under one
-- hour (the minutes of a gap count as awake in the session).
-- sleep_id = 'files:gadgetbridge:' || hash of the band and the night's first minute.
with exports as (
    select file_sha256, max(latest_sample_at) as latest_sample_at
    from {{ optional_source('raw_files', 'gadgetbridge_export', {
        'file_sha256': 'varchar', 'latest_sample_at': 'timestamptz'}) }}
    group by file_sha256
),

stage_changes as (
    select changes.*
    from {{ optional_source('raw_files', 'gadgetbridge_sleep_stage_sample', {
        'file_sha256': 'varchar', 'row_index': 'bigint', 'device_key': 'varchar', 'sample_table': 'varchar',
        'timestamp': 'timestamptz', 'stage': 'varchar', '_dlt_load_id': 'varchar'}) }} as changes
    left join exports using (file_sha256)
    where changes.device_key is not null and changes."timestamp" >= timestamptz '2000-01-01 00:00:00+00'
    qualify row_number() over (
        partition by changes.device_key, changes.sample_table, changes."timestamp"
        order by exports.latest_sample_at desc nulls last, changes._dlt_load_id desc, changes.row_index desc
    ) = 1
),

wake_ups as (
    select distinct device_key, bed_time, wakeup_time
    from {{ optional_source('raw_files', 'gadgetbridge_sleep_time_sample', {
        'device_key': 'varchar', 'bed_time': 'timestamptz', 'wakeup_time': 'timestamptz'}) }}
    where wakeup_time > bed_time
),

stage_spans as (
    select
        stage_changes.device_key,
        stage_changes.stage,
        stage_changes."timestamp" as start_time,
        least(
            coalesce(
                lead(stage_changes."timestamp") over (
                    partition by stage_changes.device_key order by stage_changes."timestamp"
                ),
                stage_changes."timestamp" + interval 1 hour
            ),
            coalesce(max(wake_ups.wakeup_time), stage_changes."timestamp" + interval 4 hour),
            stage_changes."timestamp" + interval 4 hour
        ) as end_time
    from stage_changes
    left join wake_ups
        on
            wake_ups.device_key = stage_changes.device_key
            and stage_changes."timestamp" >= wake_ups.bed_time
            and stage_changes."timestamp" < wake_ups.wakeup_time
    group by stage_changes.device_key, stage_changes.stage, stage_changes."timestamp"
),

stage_minutes as (
    select
        'files:' || device_key as device_id,
        unnest(generate_series(start_time, end_time - interval 1 minute, interval 1 minute)) as start_time,
        stage,
        1 as preference
    from stage_spans
    where stage is not null and end_time > start_time
),

kind_minutes as (
    select
        device_id,
        ts as start_time,
        case activity_kind
            when 'light_sleep' then 'light'
            when 'deep_sleep' then 'deep'
            when 'rem_sleep' then 'rem'
            when 'awake_sleep' then 'awake'
        end as stage,
        2 as preference
    from {{ ref('stg_gadgetbridge__samples') }}
    where activity_kind in ('light_sleep', 'deep_sleep', 'rem_sleep', 'awake_sleep')
),

sleep_minutes as (
    select
        device_id,
        start_time,
        start_time + interval 1 minute as end_time,
        stage
    from (
        select * from stage_minutes
        union all
        select * from kind_minutes
    ) as minutes
    qualify row_number() over (partition by device_id, start_time order by preference) = 1
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
