-- depends_on: {{ ref('int_sleep_sessions_unioned') }}
-- depends_on: {{ ref('int_changed_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='changed_sleep_predicate',
    on_schema_change='fail',
) }}
-- Incremental: an incremental build replaces the stages of the changed athletes' sleep sessions.
select
    cast(sleep_id as varchar) as sleep_id,
    cast(stage as varchar) as stage,
    cast(start_time as timestamp with time zone) as start_time,
    cast(end_time as timestamp with time zone) as end_time,
    cast(duration_s as double) as duration_s
from {{ ref('int_sleep_stages_unioned') }}
{%- if is_incremental() %}
where {{ changed_sleep_predicate() }}
{%- endif %}
