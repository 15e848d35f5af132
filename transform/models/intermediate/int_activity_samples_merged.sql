-- The samples of each canonical activity (issue 5): the timeline is the primary device's (all its files of the
-- workout); each channel comes from the device chosen for its field in int_activities_merged (heart_rate: hr,
-- power_w: power, lat/lon: gps, distance_m/speed_mps: distance), joined on the same whole-second ts. A channel
-- whose chosen device is the primary one is read from the primary row itself (no join work for the common case
-- of a single-device workout). Clock skew between devices is not corrected: a skewed channel is shifted by it.
with matched as (
    select recording_id, activity_id, recording_role, device_key
    from {{ ref('int_activity_recordings_matched') }}
),

activities as (
    select
        activities.activity_id,
        primary_matched.device_key as primary_device_key,
        activities.hr_source,
        activities.power_source,
        activities.gps_source,
        activities.distance_source
    from {{ ref('int_activities_merged') }} as activities
    inner join matched as primary_matched
        on primary_matched.recording_id = activities.primary_recording_id
),

primary_samples as (
    select matched.activity_id, samples.*
    from {{ ref('int_activity_samples_unioned') }} as samples
    inner join matched on matched.recording_id = samples.recording_id
    inner join activities
        on activities.activity_id = matched.activity_id
        and activities.primary_device_key = matched.device_key
),

secondary_samples as (
    -- samples of the other devices of multi-device activities, with the device they came from
    select matched.activity_id, matched.device_key, samples.*
    from {{ ref('int_activity_samples_unioned') }} as samples
    inner join matched on matched.recording_id = samples.recording_id
    inner join activities
        on activities.activity_id = matched.activity_id
        and activities.primary_device_key <> matched.device_key
        and matched.device_key in (
            activities.hr_source, activities.power_source, activities.gps_source, activities.distance_source
        )
)

select
    p.activity_id,
    p.recording_id,
    p.ts,
    case when a.hr_source is null or a.hr_source = a.primary_device_key then p.heart_rate else hr.heart_rate end
        as heart_rate,
    case when a.power_source is null or a.power_source = a.primary_device_key then p.power_w else pw.power_w end
        as power_w,
    case when a.distance_source is null or a.distance_source = a.primary_device_key then p.speed_mps
        else dist.speed_mps end as speed_mps,
    p.cadence,
    p.altitude_m,
    case when a.gps_source is null or a.gps_source = a.primary_device_key then p.lat else gps.lat end as lat,
    case when a.gps_source is null or a.gps_source = a.primary_device_key then p.lon else gps.lon end as lon,
    case when a.distance_source is null or a.distance_source = a.primary_device_key then p.distance_m
        else dist.distance_m end as distance_m,
    p.temperature_c
from primary_samples as p
inner join activities as a on a.activity_id = p.activity_id
left join secondary_samples as hr
    on hr.activity_id = p.activity_id and hr.device_key = a.hr_source and hr.ts = p.ts
left join secondary_samples as pw
    on pw.activity_id = p.activity_id and pw.device_key = a.power_source and pw.ts = p.ts
left join secondary_samples as gps
    on gps.activity_id = p.activity_id and gps.device_key = a.gps_source and gps.ts = p.ts
left join secondary_samples as dist
    on dist.activity_id = p.activity_id and dist.device_key = a.distance_source and dist.ts = p.ts
