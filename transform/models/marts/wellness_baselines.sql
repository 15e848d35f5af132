-- depends_on: {{ ref('int_marts_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='marts_athletes_predicate',
    on_schema_change='fail',
) }}
-- Per athlete and local calendar day: resting HR, HRV and sleep with their personal baselines (the typed,
-- contracted view of compute/wellness_baselines_computed.py, which calls analytics.wellness_baselines).
select
    cast(athlete_id as varchar) as athlete_id,
    cast("date" as date) as "date",
    cast(resting_hr as double) as resting_hr,
    cast(rhr_baseline_median as double) as rhr_baseline_median,
    cast(rhr_baseline_mad as double) as rhr_baseline_mad,
    cast(rhr_baseline_days as integer) as rhr_baseline_days,
    cast(rhr_z as double) as rhr_z,
    cast(hrv_rmssd_ms as double) as hrv_rmssd_ms,
    cast(hrv_ln_rmssd as double) as hrv_ln_rmssd,
    cast(hrv_ln_rmssd_7d as double) as hrv_ln_rmssd_7d,
    cast(hrv_baseline_mean as double) as hrv_baseline_mean,
    cast(hrv_baseline_sd as double) as hrv_baseline_sd,
    cast(hrv_swc_lower as double) as hrv_swc_lower,
    cast(hrv_swc_upper as double) as hrv_swc_upper,
    cast(hrv_baseline_days as integer) as hrv_baseline_days,
    cast(hrv_z as double) as hrv_z,
    cast(hrv_day_z as double) as hrv_day_z,
    cast(sleep_s as double) as sleep_s,
    cast(sleep_baseline_median as double) as sleep_baseline_median,
    cast(sleep_baseline_mad as double) as sleep_baseline_mad,
    cast(sleep_baseline_days as integer) as sleep_baseline_days,
    cast(sleep_z as double) as sleep_z,
    cast(sleep_need_s as double) as sleep_need_s,
    cast(tsb as double) as tsb,
    cast(acwr as double) as acwr,
    cast(ramp_rate as double) as ramp_rate,
    cast(monotony as double) as monotony
from {{ ref('wellness_baselines_computed') }}
{%- if is_incremental() %}
where {{ marts_athletes_predicate() }}
{%- endif %}
