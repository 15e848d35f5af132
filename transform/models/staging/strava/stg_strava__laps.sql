-- Strava laps (SI units), keyed by recording and Strava's 1-based lap_index.
select
    {{ source_scoped_id("'strava'", 'activity_id') }} as recording_id,
    cast(lap_index as integer) as lap_index,
    cast(payload ->> 'start_date' as timestamptz) as start_time,
    {{ json_field('elapsed_time', 'double') }} as duration_s,
    {{ json_field('distance', 'double') }} as distance_m,
    {{ within(json_field('average_heartrate', 'double'), 25, 250) }} as avg_hr,
    {{ within(json_field('max_heartrate', 'double'), 25, 250) }} as max_hr,
    {{ within(json_field('average_watts', 'double'), 0, 2500) }} as avg_power_w,
    {{ within(json_field('average_speed', 'double'), 0, 60) }} as avg_speed_mps,
    'strava' as source,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from {{ optional_source('raw_strava', 'laps', {
    'activity_id': 'bigint', 'lap_index': 'bigint', 'payload': 'json', '_fetched_at': 'timestamptz',
    '_dlt_load_id': 'varchar'}) }}
