-- The samples of each canonical activity (issue 5): the timeline is the primary device's (all its files of the
-- workout); each channel comes from the device chosen for its field in int_activities_merged (heart_rate: hr,
-- power_w: power, lat/lon: gps, distance_m/speed_mps: distance), joined on the same whole-second ts. A channel
-- whose chosen device is the primary one is read from the primary row itself (no join work for the common case
-- of a single-device workout). Clock skew between devices is not corrected: a skewed channel is shifted by it.
-- A device that split one workout into several files restarts distance at 0 in each file; distance_m is made
-- cumulative over the activity by adding the distance of the device's earlier files (distance_offset_m).
with matched as (
    select recording_id, activity_id, recording_role, device_key
    from {{ ref('int_activity_recordings_matched') }}
),

recording_distance as (
    select
        matched.activity_id,
        matched.device_key,
        samples.recording_id,
        min(samples.ts) as first_ts,
        min(samples.distance_m) as min_distance_m,
        max(samples.distance_m) as max_distance_m
    from {{ ref('int_activity_samples_unioned') }} as samples
    inner join matched on matched.recording_id = samples.recording_id
    group by all
),

distance_offsets as (
    select
        recording_id,
        case
            -- the file restarted its distance counter: continue from where the device's earlier files ended
            when min_distance_m < lag(max_distance_m) over device_files
                then coalesce(sum(max_distance_m) over (
                    device_files rows between unbounded preceding and 1 preceding
                ), 0)
            else 0
        end as distance_offset_m
    from recording_distance
    window device_files as (partition by activity_id, device_key order by first_ts, recording_id)
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

samples as (
    select
        samples.* replace (samples.distance_m + coalesce(offsets.distance_offset_m, 0) as distance_m)
    from {{ ref('int_activity_samples_unioned') }} as samples
    left join distance_offsets as offsets on offsets.recording_id = samples.recording_id
),

primary_samples as (
    select matched.activity_id, samples.*
    from samples
    inner join matched on matched.recording_id = samples.recording_id
    inner join activities
        on activities.activity_id = matched.activity_id
        and activities.primary_device_key = matched.device_key
),

secondary_samples as (
    -- samples of the other devices of multi-device activities, with the device they came from
    select matched.activity_id, matched.device_key, samples.*
    from samples
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
