-- depends_on: {{ ref('int_changed_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='changed_athletes_predicate',
    on_schema_change='fail',
) }}
-- Incremental: an incremental build replaces the rows of the changed athletes (int_changed_athletes).
select
    cast(sleep_id as varchar) as sleep_id,
    cast(athlete_id as varchar) as athlete_id,
    cast(source as varchar) as source,
    cast(device_id as varchar) as device_id,
    cast(external_id as varchar) as external_id,
    cast(start_time as timestamp with time zone) as start_time,
    cast(end_time as timestamp with time zone) as end_time,
    cast(utc_offset_s as integer) as utc_offset_s,
    cast(local_date as date) as local_date,
    cast(duration_s as double) as duration_s,
    cast(deep_s as double) as deep_s,
    cast(light_s as double) as light_s,
    cast(rem_s as double) as rem_s,
    cast(awake_s as double) as awake_s,
    cast(score as double) as score,
    cast(avg_hr as double) as avg_hr,
    cast(lowest_hr as integer) as lowest_hr,
    cast(hrv_rmssd_ms as double) as hrv_rmssd_ms,
    cast(respiration_rate as double) as respiration_rate
from {{ ref('int_sleep_sessions_unioned') }}
{%- if is_incremental() %}
where {{ changed_athletes_predicate() }}
{%- endif %}
