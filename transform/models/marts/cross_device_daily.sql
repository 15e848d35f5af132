-- depends_on: {{ ref('int_marts_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='marts_athletes_predicate',
    on_schema_change='fail',
) }}
-- The same daily metric from every source side by side: one row per athlete, local date, metric and
-- source device, the value openfit.wellness_daily chose flagged, and how far each value lies from the other
-- sources' mean that day. Plain differences only; no physiology here.
with values_by_source as (
    select
        athlete_id,
        "date",
        metric,
        source,
        device_id,
        value,
        chosen,
        count(*) over same_day - 1 as other_sources,
        (sum(value) over same_day - value) / nullif(count(*) over same_day - 1, 0) as others_mean
    from {{ ref('int_wellness_daily_chosen') }}
    {%- if is_incremental() %}
    where {{ marts_athletes_predicate() }}
{%- endif %}
    window same_day as (partition by athlete_id, "date", metric)
)

select
    cast(athlete_id as varchar) as athlete_id,
    cast("date" as date) as "date",
    cast(metric as varchar) as metric,
    cast(source as varchar) as source,
    cast(device_id as varchar) as device_id,
    cast(value as double) as value,
    cast(chosen as boolean) as chosen,
    cast(other_sources as integer) as other_sources,
    cast(value - others_mean as double) as deviation,
    cast((value - others_mean) / nullif(abs(others_mean), 0) as double) as relative_deviation
from values_by_source
