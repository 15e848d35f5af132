-- Strava streams (one JSON object per activity, keyed by stream type) unnested into one row per time point.
-- `time` is seconds from the activity's start; lists of one activity have equal length (unnest zips them,
-- a missing stream reads as nulls). SI units already; latlng is [lat, lon] in degrees.
with streams as (
    select * from {{ optional_source('raw_strava', 'activity_streams', {
        'activity_id': 'bigint', 'payload': 'json', '_dlt_load_id': 'varchar'}) }}
),

points as (
    select
        activity_id,
        _dlt_load_id as load_id,
        unnest(cast(payload -> '$.time.data' as bigint[])) as offset_s,
        unnest(cast(payload -> '$.heartrate.data' as double[])) as heart_rate,
        unnest(cast(payload -> '$.watts.data' as double[])) as power_w,
        unnest(cast(payload -> '$.cadence.data' as double[])) as cadence,
        unnest(cast(payload -> '$.velocity_smooth.data' as double[])) as speed_mps,
        unnest(cast(payload -> '$.altitude.data' as double[])) as altitude_m,
        unnest(cast(payload -> '$.latlng.data' as double[][])) as latlng,
        unnest(cast(payload -> '$.distance.data' as double[])) as distance_m,
        unnest(cast(payload -> '$.temp.data' as double[])) as temperature_c
    from streams
)

select
    activities.recording_id,
    activities.start_time + to_seconds(points.offset_s) as ts,
    cast({{ within('points.heart_rate', 25, 250) }} as smallint) as heart_rate,
    cast({{ within('points.power_w', 0, 2500) }} as smallint) as power_w,
    cast({{ within('points.cadence', 0, 300) }} as smallint) as cadence,
    {{ within('points.speed_mps', 0, 60) }} as speed_mps,
    {{ within('points.altitude_m', -500, 9000) }} as altitude_m,
    {{ within('points.latlng[1]', -90, 90) }} as lat,
    {{ within('points.latlng[2]', -180, 180) }} as lon,
    points.distance_m,
    cast({{ within('points.temperature_c', -60, 70) }} as smallint) as temperature_c,
    points.load_id
from points
inner join {{ ref('stg_strava__activities') }} as activities
    on activities.recording_id = 'strava:' || points.activity_id
where points.offset_s is not null
