-- Dated physiological profiles (a new row whenever a threshold changes, e.g. after a fitness test).
select
    athlete_id,
    cast(effective_from as date) as effective_from,
    {{ json_field('maxHeartRate', 'integer') }} as hr_max,
    {{ json_field('restingHeartRate', 'integer') }} as hr_rest,
    {{ json_field('lactateThresholdHeartRate', 'integer') }} as lthr,
    {{ json_field('functionalThresholdPower', 'integer') }} as ftp_w,
    {{ json_field('lactateThresholdSpeed', 'double') }} as threshold_speed_mps,
    {{ speed_mps_to_pace_s_per_km(json_field('lactateThresholdSpeed', 'double')) }} as threshold_pace_s_per_km,
    {{ json_field('source') }} as method,
    _source as source,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from {{ source('raw_synthetic', 'athlete_profiles') }}
