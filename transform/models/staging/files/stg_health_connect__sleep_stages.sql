-- Stages of the Health Connect sleep sessions stg_health_connect__records keeps (their kept version). Light, deep
-- and REM map as named; awake, awake in bed and out of bed are awake; 'sleeping' (unspecified) and unknown are
-- not stages (they count toward the night's length only).
select
    'files:' || records.uuid as sleep_id,
    case stages.stage
        when 'light' then 'light'
        when 'deep' then 'deep'
        when 'rem' then 'rem'
        else 'awake'
    end as stage,
    stages.start_time,
    stages.end_time,
    epoch(stages.end_time) - epoch(stages.start_time) as duration_s,
    'files' as source
from {{ optional_source('raw_files', 'health_connect_sleep_stage', {
    'record_uuid': 'varchar', 'last_modified_time': 'timestamptz', 'start_time': 'timestamptz',
    'end_time': 'timestamptz', 'stage': 'varchar'}) }} as stages
inner join {{ ref('stg_health_connect__records') }} as records
    on
        records.uuid = stages.record_uuid
        and records.last_modified_time = stages.last_modified_time
where
    records.record_type = 'sleep_session'
    -- the sessions stg_health_connect__sleep_sessions keeps
    and epoch(records.end_time) - epoch(records.start_time) between 60 and 86400
    and stages.stage in ('light', 'deep', 'rem', 'awake', 'awake_in_bed', 'out_of_bed')
    and stages.end_time > stages.start_time
qualify row_number() over (partition by records.uuid, stages.start_time order by stages.end_time desc) = 1
