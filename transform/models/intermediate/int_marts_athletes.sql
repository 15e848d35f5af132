-- depends_on: {{ ref('int_changed_athletes') }}
-- depends_on: {{ ref('int_marts_as_of') }}
{{ config(materialized='table') }}
-- The athletes whose marts this build recomputes: the changed athletes (int_changed_athletes), or every athlete
-- ('*') when the as-of date moved since the last build (every athlete's daily marts then gain or lose days), on
-- a full refresh, and on the first build. The previous as-of date is the last day of marts.daily_training_load
-- as the last build left it (that model depends on this one, so dbt builds this one first).
{%- set previous = adapter.get_relation(
    database=target.database, schema='marts', identifier='daily_training_load') if execute else none %}
{%- if flags.FULL_REFRESH or previous is none %}
select '*' as athlete_id
{%- else %}
select athlete_id from {{ ref('int_changed_athletes') }}
union
select '*' as athlete_id
where (select as_of_date from {{ ref('int_marts_as_of') }})
    is distinct from (select max("date") from {{ previous }})
{%- endif %}
