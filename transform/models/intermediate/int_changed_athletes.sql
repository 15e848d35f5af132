-- depends_on: {{ ref('int_changed_activities') }}
-- depends_on: {{ ref('int_changed_metric_windows') }}
{{ config(materialized='table') }}
-- The athletes whose openfit tables this build recomputes: those the pending loads delivered rows for (found by
-- the orchestrator in the raw layer, orchestration.incremental.changed_athletes), and those of a changed
-- activity or metric window. '*' = every athlete (a full refresh, or a load whose rows' athlete is unknown).
{%- if flags.FULL_REFRESH %}
select '*' as athlete_id
{%- else %}
select athlete_id from {{ source('openfit_state', 'changed_athletes') }}
union
select athlete_id from {{ ref('int_changed_activities') }}
union
select athlete_id from {{ ref('int_changed_metric_windows') }}
{%- endif %}
