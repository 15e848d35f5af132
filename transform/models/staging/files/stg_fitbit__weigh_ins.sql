-- Fitbit weigh-ins (weight-*.json): Takeout writes the weight in the account's unit (kg for METRIC, else
-- pounds), body fat in %. One row per log id, the latest load's version winning (an edited weight).
with tz as (
    select
        coalesce((select timezone from {{ ref('stg_fitbit__profile') }}), 'UTC') as name,
        coalesce((select weight_unit from {{ ref('stg_fitbit__profile') }}), 'METRIC') as weight_unit
),

weights as (
    select *
    from {{ optional_source('raw_files', 'fitbit_weight', {
        'log_id': 'bigint', 'local_time': 'varchar', 'offset_min': 'integer', 'weight': 'double', 'fat': 'double',
        'source': 'varchar', '_dlt_load_id': 'varchar', 'row_index': 'bigint'}) }}
    where log_id is not null and local_time is not null
    qualify row_number() over (partition by log_id order by _dlt_load_id desc, row_index desc) = 1
)

select
    'files:fitbit:account' as device_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    {{ wall_time_to_utc('weights.local_time', 'weights.offset_min', 'tz.name') }} as ts,
    {{ within("case when tz.weight_unit = 'METRIC' then weights.weight else weights.weight * 0.45359237 end",
        25, 300) }} as weight_kg,
    {{ within('weights.fat', 0, 80) }} as body_fat_pct,
    'files' as source,
    weights._dlt_load_id as load_id
from weights
cross join tz
