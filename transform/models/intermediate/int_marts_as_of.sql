-- depends_on: {{ ref('activities') }}
{{ config(materialized='table') }}
-- The last day of the daily marts (daily_training_load and what follows it): the setting marts_as_of_date when
-- set, else the later of today (UTC) and the latest activity's local date, so the charts reach today even when
-- the data stops earlier (rest days count as load 0) and never cut off data dated in the future of the clock.
-- One row. When it moves, every athlete's daily marts change (int_marts_athletes).
{%- set pinned = var('marts_as_of_date') %}
select
{%- if pinned %}
    coalesce(
        try_cast('{{ pinned }}' as date),
        error('marts_as_of_date must be YYYY-MM-DD or empty, got {{ pinned | replace("'", "") }}')
    ) as as_of_date
{%- else %}
    greatest(
        cast(timezone('UTC', now()) as date),
        coalesce((select max(local_date) from {{ ref('activities') }}), cast(timezone('UTC', now()) as date))
    ) as as_of_date
{%- endif %}
