-- depends_on: {{ ref('int_changed_activities') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='changed_activities_predicate',
    insert_order_by='activity_id, ts',
    on_schema_change='fail',
) }}
-- The big table. A full build writes it in one pass, ordered so one activity's samples are contiguous (DuckDB's
-- zone maps then make a per-activity read touch only its own row groups); an incremental build replaces the
-- samples of the changed activities only (macros/incremental.sql), reading only the loads that delivered them.
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
from ({{ merged_activity_samples(only_changed=is_incremental()) }}) as merged
{%- if not is_incremental() %}
order by activity_id, ts
{%- endif %}
