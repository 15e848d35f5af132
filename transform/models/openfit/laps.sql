-- depends_on: {{ ref('int_changed_activities') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='changed_activities_predicate',
    on_schema_change='fail',
) }}
-- Incremental: an incremental build replaces the laps of the changed activities (int_changed_activities).
-- Laps of each activity's primary recording.
select
    cast(matched.activity_id as varchar) as activity_id,
    cast(laps.recording_id as varchar) as recording_id,
    cast(laps.lap_index as integer) as lap_index,
    cast(laps.start_time as timestamp with time zone) as start_time,
    cast(laps.start_time + to_microseconds(cast(laps.duration_s * 1000000 as bigint)) as timestamp with time zone)
        as end_time,
    cast(laps.duration_s as double) as duration_s,
    cast(laps.distance_m as double) as distance_m,
    cast(laps.avg_hr as double) as avg_hr,
    cast(laps.max_hr as integer) as max_hr,
    cast(laps.avg_power_w as double) as avg_power_w,
    cast(laps.avg_speed_mps as double) as avg_speed_mps
from {{ ref('int_laps_unioned') }} as laps
inner join {{ ref('int_activity_recordings_matched') }} as matched
    on matched.recording_id = laps.recording_id
    and matched.recording_role = 'primary'
{%- if is_incremental() %}
where {{ changed_activities_predicate('matched.activity_id') }}
{%- endif %}
