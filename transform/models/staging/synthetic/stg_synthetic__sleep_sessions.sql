-- Nightly sleep summaries (Garmin-style: epoch milliseconds).
with sleep as (
    select
        sleep_id as external_id,
        {{ json_field('sleepStartTimestampGmt', 'bigint') }} as start_epoch_ms,
        {{ json_field('sleepEndTimestampGmt', 'bigint') }} as end_epoch_ms,
        {{ json_field('timeZoneOffsetSec', 'integer') }} as utc_offset_s,
        *
    from {{ source('raw_synthetic', 'sleep') }}
)

select
    {{ source_scoped_id('_source', 'external_id') }} as sleep_id,
    external_id,
    {{ json_field('athleteId') }} as athlete_id,
    {{ source_scoped_id('_source', json_field('deviceId')) }} as device_id,
    {{ epoch_ms_to_utc('start_epoch_ms') }} as start_time,
    {{ epoch_ms_to_utc('end_epoch_ms') }} as end_time,
    utc_offset_s,
    -- Sleep belongs to the local date on which it ends.
    {{ local_date_from_epoch_s('end_epoch_ms // 1000', 'utc_offset_s') }} as local_date,
    cast(end_epoch_ms - start_epoch_ms as double) / 1000 as duration_s,
    {{ json_field('deepSleepSeconds', 'double') }} as deep_s,
    {{ json_field('lightSleepSeconds', 'double') }} as light_s,
    {{ json_field('remSleepSeconds', 'double') }} as rem_s,
    {{ json_field('awakeSleepSeconds', 'double') }} as awake_s,
    {{ json_field('sleepScore', 'double') }} as score,
    {{ json_field('averageHeartRate', 'double') }} as avg_hr,
    {{ json_field('lowestHeartRate', 'double') }} as lowest_hr,
    {{ json_field('avgOvernightHrv', 'double') }} as hrv_rmssd_ms,
    {{ json_field('averageRespirationRate', 'double') }} as respiration_rate,
    _source as source,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from sleep
