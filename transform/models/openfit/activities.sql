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
    cast(activity_id as varchar) as activity_id,
    cast(athlete_id as varchar) as athlete_id,
    cast(name as varchar) as name,
    cast(gear as varchar) as gear,
    cast(commute as boolean) as commute,
    cast(multisport_group_id as varchar) as multisport_group_id,
    cast(sport as varchar) as sport,
    cast(sub_sport as varchar) as sub_sport,
    cast(start_time as timestamp with time zone) as start_time,
    cast(end_time as timestamp with time zone) as end_time,
    cast(utc_offset_s as integer) as utc_offset_s,
    cast(local_date as date) as local_date,
    cast(duration_s as double) as duration_s,
    cast(moving_s as double) as moving_s,
    cast(distance_m as double) as distance_m,
    cast(ascent_m as double) as ascent_m,
    cast(avg_hr as double) as avg_hr,
    cast(max_hr as integer) as max_hr,
    cast(avg_power_w as double) as avg_power_w,
    cast(avg_speed_mps as double) as avg_speed_mps,
    cast(avg_cadence as double) as avg_cadence,
    cast(kcal as double) as kcal,
    cast(rpe as double) as rpe,
    cast(has_gps as boolean) as has_gps,
    cast(indoor as boolean) as indoor,
    cast(primary_source as varchar) as primary_source,
    cast(primary_device_id as varchar) as primary_device_id,
    cast(primary_recording_id as varchar) as primary_recording_id,
    cast(recording_count as integer) as recording_count,
    cast(hr_source as varchar) as hr_source,
    cast(power_source as varchar) as power_source,
    cast(gps_source as varchar) as gps_source,
    cast(distance_source as varchar) as distance_source
from {{ ref('int_activities_merged') }}
{%- if is_incremental() %}
where {{ changed_athletes_predicate() }}
{%- endif %}
