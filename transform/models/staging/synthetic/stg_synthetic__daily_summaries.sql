-- Per-device daily summaries on the athlete's local calendar date.
select
    {{ source_scoped_id('_source', 'device_id') }} as device_id,
    cast(calendar_date as date) as local_date,
    {{ json_field('athleteId') }} as athlete_id,
    {{ json_field('timeZoneOffsetSec', 'integer') }} as utc_offset_s,
    {{ json_field('restingHeartRate', 'double') }} as resting_hr,
    {{ json_field('hrvLastNightAvg', 'double') }} as hrv_rmssd_ms,
    {{ json_field('totalSteps', 'integer') }} as steps,
    {{ json_field('activeKilocalories', 'double') }} as active_kcal,
    {{ json_field('averageStressLevel', 'double') }} as stress_avg,
    {{ json_field('bodyBatteryHighest', 'double') }} as body_battery_max,
    _source as source,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from {{ source('raw_synthetic', 'daily_summaries') }}
