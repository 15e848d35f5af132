{#- The samples of each canonical activity, merged across devices. Called by openfit.activity_samples: in
    full for a full build, only for the changed activities (int_changed_activities) in an incremental one.

    The timeline is the primary device's (all its files of the workout), or, when the primary recording has
    no samples (a summary only: an Apple Health workout, a provider's workout summary), the device chosen for
    GPS, else distance, heart rate, power; each channel comes from the device chosen for its field in int_activities_merged (heart_rate: hr,
    power_w: power, lat/lon: gps, distance_m/speed_mps: distance), joined on the same whole-second ts. A channel
    whose chosen device is the primary one is read from the primary row itself (no join work for the common case
    of a single-device workout). Clock skew between devices is not corrected: a skewed channel is shifted by it.
    Cost (it reads every sample it merges): the samples are joined once, to a small per-recording table that tags them
    with activity, role and channel flags; the other devices' channels are pivoted to one row per (activity, ts)
    and joined once (not once per channel).
    A device that split one workout into several files restarts distance at 0 in each file; distance_m is made
    cumulative over the activity by adding the distance of the device's earlier files (distance_offset_m).
-#}
{% macro merged_activity_samples(only_changed=false) -%}
{%- if only_changed -%}
    {%- set changed_loads = literal_list(
        'select distinct load_id from ' ~ ref('int_activity_recordings_matched')
        ~ ' where load_id is not null and ' ~ changed_activities_predicate('activity_id'), limit=100000) -%}
{%- endif %}
with matched as (
    -- redundant files (a copy of the same workout from the same device) give no samples: one timeline per device
    select recording_id, activity_id, recording_role, device_key
    from {{ ref('int_activity_recordings_matched') }}
    where not is_redundant
    {%- if only_changed %}
        and {{ changed_activities_predicate('activity_id') }}
    {%- endif %}
),

unioned_samples as (
    select * from {{ ref('int_activity_samples_unioned') }}
    {%- if only_changed %}
    -- only the loads that delivered these recordings: the filter reaches the raw scans, whose zone maps skip
    -- every other load's rows
    where load_id in {{ changed_loads }}
    {%- endif %}
),

recording_distance as (
    select
        matched.activity_id,
        matched.device_key,
        samples.recording_id,
        min(samples.ts) as first_ts,
        min(samples.distance_m) as min_distance_m,
        max(samples.distance_m) as max_distance_m
    from unioned_samples as samples
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

sampled_devices as (
    select distinct activity_id, device_key from recording_distance
),

activities as (
    -- primary_device_key: the device whose rows are the timeline (see above)
    select
        activities.activity_id,
        case
            when primary_sampled.device_key is not null then primary_matched.device_key
            else coalesce(
                activities.gps_source, activities.distance_source, activities.hr_source, activities.power_source
            )
        end as primary_device_key,
        activities.hr_source,
        activities.power_source,
        activities.gps_source,
        activities.distance_source
    from {{ ref('int_activities_merged') }} as activities
    inner join matched as primary_matched
        on primary_matched.recording_id = activities.primary_recording_id
    left join sampled_devices as primary_sampled
        on primary_sampled.activity_id = activities.activity_id
        and primary_sampled.device_key = primary_matched.device_key
),

recordings as (
    -- per recording whose samples are used: its activity, whether it is the primary device's (its rows are the
    -- timeline) and which channels it gives to the primary rows when it is another device's
    select
        matched.recording_id,
        matched.activity_id,
        matched.device_key = activities.primary_device_key as is_primary,
        coalesce(offsets.distance_offset_m, 0) as distance_offset_m,
        activities.hr_source is not null and activities.hr_source <> activities.primary_device_key as hr_elsewhere,
        activities.power_source is not null and activities.power_source <> activities.primary_device_key
            as power_elsewhere,
        activities.gps_source is not null and activities.gps_source <> activities.primary_device_key
            as gps_elsewhere,
        activities.distance_source is not null and activities.distance_source <> activities.primary_device_key
            as distance_elsewhere,
        matched.device_key = activities.hr_source as gives_hr,
        matched.device_key = activities.power_source as gives_power,
        matched.device_key = activities.gps_source as gives_gps,
        matched.device_key = activities.distance_source as gives_distance
    from matched
    inner join activities on activities.activity_id = matched.activity_id
    left join distance_offsets as offsets on offsets.recording_id = matched.recording_id
    where matched.device_key = activities.primary_device_key
        or matched.device_key in (
            activities.hr_source, activities.power_source, activities.gps_source, activities.distance_source
        )
),

samples as (
    -- the one join of all samples: each sample tagged with its recording's activity and role
    select
        recordings.* exclude (recording_id, distance_offset_m),
        samples.* exclude (load_id) replace (samples.distance_m + recordings.distance_offset_m as distance_m)
    from unioned_samples as samples
    inner join recordings on recordings.recording_id = samples.recording_id
),

secondary_channels as (
    -- one row per (activity, ts) of a multi-device activity: each channel from the other device chosen for it
    select
        activity_id,
        ts,
        any_value(heart_rate) filter (where gives_hr) as heart_rate,
        any_value(power_w) filter (where gives_power) as power_w,
        any_value(lat) filter (where gives_gps) as lat,
        any_value(lon) filter (where gives_gps) as lon,
        any_value(speed_mps) filter (where gives_distance) as speed_mps,
        any_value(distance_m) filter (where gives_distance) as distance_m
    from samples
    where not is_primary
    group by activity_id, ts
)

select
    p.activity_id,
    p.recording_id,
    p.ts,
    case when p.hr_elsewhere then s.heart_rate else p.heart_rate end as heart_rate,
    case when p.power_elsewhere then s.power_w else p.power_w end as power_w,
    case when p.distance_elsewhere then s.speed_mps else p.speed_mps end as speed_mps,
    p.cadence,
    p.altitude_m,
    case when p.gps_elsewhere then s.lat else p.lat end as lat,
    case when p.gps_elsewhere then s.lon else p.lon end as lon,
    case when p.distance_elsewhere then s.distance_m else p.distance_m end as distance_m,
    p.temperature_c
from samples as p
left join secondary_channels as s on s.activity_id = p.activity_id and s.ts = p.ts
where p.is_primary
{%- endmacro %}
