-- Fitbit devices: the account's device (the per-day series, sleep and weigh-ins of a Takeout do not name the
-- tracker that measured them) and every tracker the exercises name (source.name), keyed by type and name so a
-- tracker keeps its id across exports.
with trackers as (
    select
        'files:' || device_key as device_id,
        any_value(name) as model,
        any_value(type) as source_type,
        device_key as external_id
    from {{ optional_source('raw_files', 'fitbit_device', {
        'device_key': 'varchar', 'name': 'varchar', 'type': 'varchar'}) }}
    where device_key is not null
    group by device_key
),

account as (
    -- only once a Fitbit file has been imported
    select 'files:fitbit:account' as device_id, 'Fitbit (tracker not named by the export)' as model,
        'tracker' as source_type, 'fitbit:account' as external_id
    where exists (select 1 from {{ ref('stg_files__imports') }} where format = 'fitbit')
)

select
    device_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    'fitbit' as vendor,
    model,
    case when source_type = 'tracker' then 'watch' else 'phone' end as device_type,
    cast(null as varchar) as serial_number,
    external_id,
    'files' as source
from (
    select * from trackers
    union all
    select * from account
) as devices
