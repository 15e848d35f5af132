-- Canonical workouts: one row per activity_id, built field by field from the best device.
-- 1. Per device within an activity, its recordings are summed up (a device that split the workout into two
--    files counts once, with the totals of both files).
-- 2. Gear and commute are the athlete's labels, not measurements: the primary recording's, else any other
--    recording's of the activity (a Strava export file merged with a watch's copy keeps its gear).
-- 3. Per field (seeds/source_priority.csv: summary, hr, power, gps, distance) the best-ranked device that has
--    the field wins; its device is recorded in <field>_source. The summary device (the primary recording's)
--    gives name, sport, start/end, duration and everything without a field of its own.
with all_recordings as (
    select
        matched.activity_id,
        matched.recording_role,
        matched.device_key,
        matched.device_type,
        matched.is_redundant,
        recordings.*
    from {{ ref('int_activity_recordings_unioned') }} as recordings
    inner join {{ ref('int_activity_recordings_matched') }} as matched
        using (recording_id)
),

recordings as (
    -- a file that another file of the same device covers (the same workout saved twice) adds nothing to totals
    select * exclude (is_redundant) from all_recordings where not is_redundant
),

recording_counts as (
    select activity_id, count(*) as recording_count
    from all_recordings
    group by activity_id
),

devices as (
    select
        activity_id,
        device_key,
        any_value(device_type) as device_type,
        min(start_time) as start_time,
        max(end_time) as end_time,
        sum(duration_s) as duration_s,
        sum(moving_s) as moving_s,
        sum(distance_m) as distance_m,
        sum(ascent_m) as ascent_m,
        sum(avg_hr * duration_s) / nullif(sum(case when avg_hr is not null then duration_s end), 0) as avg_hr,
        max(max_hr) as max_hr,
        sum(avg_power_w * duration_s)
            / nullif(sum(case when avg_power_w is not null then duration_s end), 0) as avg_power_w,
        sum(avg_speed_mps * duration_s)
            / nullif(sum(case when avg_speed_mps is not null then duration_s end), 0) as avg_speed_mps,
        sum(avg_cadence * duration_s)
            / nullif(sum(case when avg_cadence is not null then duration_s end), 0) as avg_cadence,
        sum(kcal) as kcal,
        max(rpe) as rpe,
        bool_or(has_gps) as has_gps,
        bool_and(indoor) as indoor,
        min(try_cast(load_id as double)) as loaded_epoch
    from recordings
    group by activity_id, device_key
),

field_choices as (
    -- one row per (activity, field): the winning device among those that carry the field
    select activity_id, field, device_key
    from (
        select
            devices.activity_id,
            fields.field,
            devices.device_key,
            row_number() over (
                partition by devices.activity_id, fields.field
                order by coalesce(priority.priority, 99), devices.loaded_epoch nulls last, devices.device_key
            ) as field_rank
        from devices
        cross join (values ('hr'), ('power'), ('gps'), ('distance')) as fields (field)
        left join {{ ref('source_priority') }} as priority
            on priority.field = fields.field
            and priority.device_type = devices.device_type
        where case fields.field
            when 'hr' then devices.avg_hr is not null
            when 'power' then devices.avg_power_w is not null
            when 'gps' then coalesce(devices.has_gps, false)
            when 'distance' then devices.distance_m > 0
        end
    )
    where field_rank = 1
),

labels as (
    select
        activity_id,
        first(gear order by recording_role = 'primary' desc, recording_id) filter (where gear is not null)
            as gear,
        first(commute order by recording_role = 'primary' desc, recording_id)
            filter (where commute is not null) as commute
    from recordings
    group by activity_id
),

chosen as (
    select
        activity_id,
        max(case when field = 'hr' then device_key end) as hr_source,
        max(case when field = 'power' then device_key end) as power_source,
        max(case when field = 'gps' then device_key end) as gps_source,
        max(case when field = 'distance' then device_key end) as distance_source
    from field_choices
    group by activity_id
)

select
    primary_recording.activity_id,
    primary_recording.athlete_id,
    primary_recording.name,
    labels.gear,
    labels.commute,
    primary_recording.multisport_group_id,
    primary_recording.sport,
    primary_recording.sub_sport,
    primary_device.start_time,
    primary_device.end_time,
    primary_recording.utc_offset_s,
    primary_recording.local_date,
    primary_device.duration_s,
    primary_device.moving_s,
    coalesce(distance_device.distance_m, primary_device.distance_m) as distance_m,
    primary_device.ascent_m,
    coalesce(hr_device.avg_hr, primary_device.avg_hr) as avg_hr,
    coalesce(hr_device.max_hr, primary_device.max_hr) as max_hr,
    coalesce(power_device.avg_power_w, primary_device.avg_power_w) as avg_power_w,
    coalesce(distance_device.avg_speed_mps, primary_device.avg_speed_mps) as avg_speed_mps,
    primary_device.avg_cadence,
    primary_device.kcal,
    primary_device.rpe,
    coalesce(gps_device.has_gps, primary_device.has_gps) as has_gps,
    primary_device.indoor,
    primary_recording.source as primary_source,
    primary_recording.device_id as primary_device_id,
    primary_recording.recording_id as primary_recording_id,
    recording_counts.recording_count,
    chosen.hr_source,
    chosen.power_source,
    chosen.gps_source,
    chosen.distance_source
from recordings as primary_recording
inner join recording_counts using (activity_id)
inner join devices as primary_device
    on primary_device.activity_id = primary_recording.activity_id
    and primary_device.device_key = primary_recording.device_key
left join labels on labels.activity_id = primary_recording.activity_id
left join chosen on chosen.activity_id = primary_recording.activity_id
left join devices as hr_device
    on hr_device.activity_id = chosen.activity_id and hr_device.device_key = chosen.hr_source
left join devices as power_device
    on power_device.activity_id = chosen.activity_id and power_device.device_key = chosen.power_source
left join devices as gps_device
    on gps_device.activity_id = chosen.activity_id and gps_device.device_key = chosen.gps_source
left join devices as distance_device
    on distance_device.activity_id = chosen.activity_id and distance_device.device_key = chosen.distance_source
where primary_recording.recording_role = 'primary'
