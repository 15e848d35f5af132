-- Weight-scale FIT files: one weigh-in per message (weight in kg, body fat in %).
select
    cast(null as varchar) as device_id,
    '{{ var("files_athlete_id") }}' as athlete_id,
    "timestamp" as ts,
    {{ within('weight', 25, 300) }} as weight_kg,
    {{ within('percent_fat', 0, 80) }} as body_fat_pct,
    'files' as source,
    _dlt_load_id as load_id
from {{ optional_source('raw_files', 'fit_weight_scale', {
    'file_sha256': 'varchar', 'row_index': 'bigint', 'timestamp': 'timestamptz', 'weight': 'double', 'percent_fat': 'double',
    '_dlt_load_id': 'varchar'}) }}
where "timestamp" is not null
-- one weigh-in per instant: the same measurement often sits in several files (a scale's export and a sync copy)
qualify row_number() over (partition by "timestamp" order by file_sha256, row_index) = 1
