-- The samples of each canonical activity: today the primary recording's stream. The merge (issue 5) picks a
-- source per channel here. One hash join against the small recording map; no window over the samples.
select
    matched.activity_id,
    samples.recording_id,
    samples.ts,
    samples.heart_rate,
    samples.power_w,
    samples.speed_mps,
    samples.cadence,
    samples.altitude_m,
    samples.lat,
    samples.lon,
    samples.distance_m,
    samples.temperature_c
from {{ ref('int_activity_samples_unioned') }} as samples
inner join {{ ref('int_activity_recordings_matched') }} as matched
    on matched.recording_id = samples.recording_id
    and matched.recording_role = 'primary'
