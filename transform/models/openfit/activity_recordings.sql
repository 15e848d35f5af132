-- depends_on: {{ ref('int_changed_activities') }} (which reads this table as the previous build left it, so runs first)
-- depends_on: {{ ref('int_changed_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='changed_athletes_predicate',
    on_schema_change='fail',
) }}
-- Incremental: an incremental build replaces the rows of the changed athletes (int_changed_athletes).
select
    cast(recordings.recording_id as varchar) as recording_id,
    cast(matched.activity_id as varchar) as activity_id,
    cast(matched.recording_role as varchar) as recording_role,
    cast(recordings.athlete_id as varchar) as athlete_id,
    cast(recordings.source as varchar) as source,
    cast(recordings.device_id as varchar) as device_id,
    cast(recordings.external_id as varchar) as external_id,
    cast(recordings.name as varchar) as name,
    cast(recordings.gear as varchar) as gear,
    cast(recordings.commute as boolean) as commute,
    cast(recordings.multisport_group_id as varchar) as multisport_group_id,
    cast(recordings.sport as varchar) as sport,
    cast(recordings.sub_sport as varchar) as sub_sport,
    cast(recordings.source_sport as varchar) as source_sport,
    cast(recordings.start_time as timestamp with time zone) as start_time,
    cast(recordings.end_time as timestamp with time zone) as end_time,
    cast(recordings.utc_offset_s as integer) as utc_offset_s,
    cast(recordings.local_date as date) as local_date,
    cast(recordings.duration_s as double) as duration_s,
    cast(recordings.moving_s as double) as moving_s,
    cast(recordings.distance_m as double) as distance_m,
    cast(recordings.ascent_m as double) as ascent_m,
    cast(recordings.avg_hr as double) as avg_hr,
    cast(recordings.max_hr as integer) as max_hr,
    cast(recordings.avg_power_w as double) as avg_power_w,
    cast(recordings.avg_speed_mps as double) as avg_speed_mps,
    cast(recordings.avg_cadence as double) as avg_cadence,
    cast(recordings.kcal as double) as kcal,
    cast(recordings.rpe as double) as rpe,
    cast(recordings.has_gps as boolean) as has_gps,
    cast(recordings.indoor as boolean) as indoor,
    cast(recordings.fetched_at as timestamp with time zone) as fetched_at,
    -- dlt load ids are the load's start time in epoch seconds.
    cast(to_timestamp(try_cast(recordings.load_id as double)) as timestamp with time zone) as loaded_at
from {{ ref('int_activity_recordings_unioned') }} as recordings
inner join {{ ref('int_activity_recordings_matched') }} as matched using (recording_id)
{%- if is_incremental() %}
where {{ changed_athletes_predicate('recordings.athlete_id') }}
{%- endif %}
