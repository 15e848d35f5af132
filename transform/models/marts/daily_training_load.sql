-- depends_on: {{ ref('int_marts_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='marts_athletes_predicate',
    on_schema_change='fail',
) }}
-- Performance Management Chart, ACWR, monotony and strain per athlete and calendar day (the typed, contracted view
-- of compute/daily_training_load_computed.py, which calls analytics.daily_training_load). Selected and cast only.
select
    cast(athlete_id as varchar) as athlete_id,
    cast("date" as date) as "date",
    cast("load" as double) as "load",
    cast(activities as integer) as activities,
    cast(unscored_activities as integer) as unscored_activities,
    cast(ctl as double) as ctl,
    cast(atl as double) as atl,
    cast(tsb as double) as tsb,
    cast(ramp_rate as double) as ramp_rate,
    cast(acwr_acute as double) as acwr_acute,
    cast(acwr_chronic as double) as acwr_chronic,
    cast(acwr as double) as acwr,
    cast(weekly_load as double) as weekly_load,
    cast(monotony as double) as monotony,
    cast(strain as double) as strain,
    cast(pmc_convention as varchar) as pmc_convention,
    cast(tsb_alignment as varchar) as tsb_alignment,
    cast(acwr_method as varchar) as acwr_method,
    cast(ewma_seed as varchar) as ewma_seed,
    cast(monotony_sd as varchar) as monotony_sd
from {{ ref('daily_training_load_computed') }}
{%- if is_incremental() %}
where {{ marts_athletes_predicate() }}
{%- endif %}
