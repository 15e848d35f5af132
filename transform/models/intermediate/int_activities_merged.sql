-- Canonical workouts: one row per activity_id, fields taken from its primary recording.
-- 1:1 with recordings today; the merge (issue 5) adds per-field source priorities here.
with recordings as (
    select
        matched.activity_id,
        matched.recording_role,
        recordings.*
    from {{ ref('int_activity_recordings_unioned') }} as recordings
    inner join {{ ref('int_activity_recordings_matched') }} as matched
        using (recording_id)
),

recording_counts as (
    select activity_id, count(*) as recording_count
    from recordings
    group by activity_id
)

select
    primary_recording.activity_id,
    primary_recording.athlete_id,
    primary_recording.name,
    primary_recording.sport,
    primary_recording.sub_sport,
    primary_recording.start_time,
    primary_recording.end_time,
    primary_recording.utc_offset_s,
    primary_recording.local_date,
    primary_recording.duration_s,
    primary_recording.moving_s,
    primary_recording.distance_m,
    primary_recording.ascent_m,
    primary_recording.avg_hr,
    primary_recording.max_hr,
    primary_recording.avg_power_w,
    primary_recording.avg_speed_mps,
    primary_recording.avg_cadence,
    primary_recording.kcal,
    primary_recording.rpe,
    primary_recording.has_gps,
    primary_recording.indoor,
    primary_recording.source as primary_source,
    primary_recording.device_id as primary_device_id,
    primary_recording.recording_id as primary_recording_id,
    recording_counts.recording_count
from recordings as primary_recording
inner join recording_counts using (activity_id)
where primary_recording.recording_role = 'primary'
