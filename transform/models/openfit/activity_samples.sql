-- The big table: one CTAS from the merged-samples view, ordered so one activity's samples are contiguous
-- (DuckDB's zone maps then make a per-activity read touch only its own row groups).
select
    cast(activity_id as varchar) as activity_id,
    cast(recording_id as varchar) as recording_id,
    cast(ts as timestamp with time zone) as ts,
    cast(heart_rate as smallint) as heart_rate,
    cast(power_w as smallint) as power_w,
    cast(speed_mps as double) as speed_mps,
    cast(cadence as smallint) as cadence,
    cast(altitude_m as double) as altitude_m,
    cast(lat as double) as lat,
    cast(lon as double) as lon,
    cast(distance_m as double) as distance_m,
    cast(temperature_c as smallint) as temperature_c
from {{ ref('int_activity_samples_merged') }}
order by activity_id, ts
