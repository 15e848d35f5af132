-- Fitbit sleep stages (sleep-*.json levels.data, 30 s epochs grouped into runs): wake/light/deep/rem as
-- awake/light/deep/rem. Classic logs (asleep/restless/awake) have no stages and are left out here. The short
-- wakes of levels.shortData overlap the runs and stay raw. Wall times become UTC with the profile's time zone.
with tz as (
    select coalesce((select timezone from {{ ref('stg_fitbit__profile') }}), 'UTC') as name
),

stages as (
    select *
    from {{ optional_source('raw_files', 'fitbit_sleep_stage', {
        'log_id': 'bigint', 'local_time': 'varchar', 'offset_min': 'integer', 'level': 'varchar',
        'seconds': 'bigint', 'is_short': 'boolean', '_dlt_load_id': 'varchar'}) }}
    where not coalesce(is_short, false) and log_id is not null and local_time is not null and seconds > 0
        and level in ('wake', 'light', 'deep', 'rem')
)

select
    'fitbit:' || stages.log_id as sleep_id,
    case stages.level when 'wake' then 'awake' else stages.level end as stage,
    {{ wall_time_to_utc('stages.local_time', 'stages.offset_min', 'tz.name') }} as start_time,
    {{ wall_time_to_utc('stages.local_time', 'stages.offset_min', 'tz.name') }}
        + to_seconds(stages.seconds) as end_time,
    cast(stages.seconds as double) as duration_s,
    'files' as source
from stages
cross join tz
qualify row_number() over (
    partition by stages.log_id, stages.local_time order by stages._dlt_load_id desc
) = 1
