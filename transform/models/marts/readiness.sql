-- depends_on: {{ ref('int_marts_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='marts_athletes_predicate',
    on_schema_change='fail',
) }}
-- Daily readiness per athlete: the score, its coverage, and each component's input, 0-100 score and weight
-- (the typed, contracted view of compute/readiness_computed.py: analytics.readiness).
select
    cast(athlete_id as varchar) as athlete_id,
    cast("date" as date) as "date",
    cast(score as double) as score,
    cast(coverage as double) as coverage,
    cast(hrv_z as double) as hrv_z,
    cast(hrv_component as double) as hrv_component,
    cast(hrv_weight as double) as hrv_weight,
    cast(rhr_z as double) as rhr_z,
    cast(resting_hr_component as double) as resting_hr_component,
    cast(resting_hr_weight as double) as resting_hr_weight,
    cast(sleep_s as double) as sleep_s,
    cast(sleep_component as double) as sleep_component,
    cast(sleep_weight as double) as sleep_weight,
    cast(tsb as double) as tsb,
    cast(tsb_component as double) as tsb_component,
    cast(tsb_weight as double) as tsb_weight,
    cast(acwr as double) as acwr,
    cast(acwr_component as double) as acwr_component,
    cast(acwr_weight as double) as acwr_weight
from {{ ref('readiness_computed') }}
{%- if is_incremental() %}
where {{ marts_athletes_predicate() }}
{%- endif %}
