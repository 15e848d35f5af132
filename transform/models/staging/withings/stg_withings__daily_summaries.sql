-- One row per athlete, Withings day and device: steps and active calories (kcal) from getactivity. The
-- aggregate over all of an athlete's devices has no device id and becomes 'withings:<athlete>:activity'.
-- Distance (m), elevation and the intensity durations stay in raw_withings.activity (OpenFit's daily table
-- has no column for them).
select
    athlete as athlete_id,
    cast(day as date) as local_date,
    'withings' as source,
    'withings:' || athlete || ':' || coalesce({{ json_field('hash_deviceid') }}, 'activity') as device_id,
    cast(null as double) as resting_hr,
    cast(null as double) as hrv_rmssd_ms,
    {{ within(json_field('steps', 'integer'), 0, 200000) }} as steps,
    {{ within(json_field('calories', 'double'), 0, 20000) }} as active_kcal,
    cast(null as double) as stress_avg
from {{ optional_source('raw_withings', 'activity', {
    'id': 'varchar', 'athlete': 'varchar', 'day': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz'}) }}
where day is not null
qualify row_number() over (partition by athlete, id order by _fetched_at desc) = 1
