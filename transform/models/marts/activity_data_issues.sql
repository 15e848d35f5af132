-- depends_on: {{ ref('int_marts_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='marts_athletes_predicate',
    on_schema_change='fail',
) }}
-- One row per sensor fault found in an activity's samples (the typed, contracted view of
-- compute/activity_data_issues_computed.py: analytics.detect_signal_issues). Activities checked and found clean
-- have no row.
select
    cast(activity_id as varchar) as activity_id,
    cast(issue_index as integer) as issue_index,
    cast(athlete_id as varchar) as athlete_id,
    cast(local_date as date) as "date",
    cast(sport as varchar) as sport,
    cast(channel as varchar) as channel,
    cast(kind as varchar) as kind,
    cast(severity as varchar) as severity,
    cast(start_offset_s as double) as start_offset_s,
    cast(end_offset_s as double) as end_offset_s,
    cast(start_time as timestamp with time zone) as start_time,
    cast(end_time as timestamp with time zone) as end_time,
    cast(samples as integer) as samples,
    cast("value" as double) as "value",
    cast(threshold as double) as threshold,
    cast(explanation as varchar) as explanation,
    cast(checked_at as timestamp with time zone) as checked_at
from {{ ref('activity_data_issues_computed') }}
where
    issue_index is not null
    -- the checks table is incremental: rows of activities removed since are not published
    and activity_id in (select activity_id from {{ ref('activities') }})
    {%- if is_incremental() %}
    and {{ marts_athletes_predicate() }}
    {%- endif %}
