-- depends_on: {{ ref('int_changed_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='changed_athletes_predicate',
    on_schema_change='fail',
) }}
-- Incremental: an incremental build replaces the rows of the changed athletes (int_changed_athletes).
select
    cast(athlete_id as varchar) as athlete_id,
    cast("date" as date) as "date",
    cast(source as varchar) as source,
    cast(device_id as varchar) as device_id,
    cast(resting_hr as double) as resting_hr,
    cast(hrv_rmssd_ms as double) as hrv_rmssd_ms,
    cast(steps as integer) as steps,
    cast(weight_kg as double) as weight_kg,
    cast(body_fat_pct as double) as body_fat_pct,
    cast(active_kcal as double) as active_kcal,
    cast(stress_avg as double) as stress_avg,
    cast(sleep_s as double) as sleep_s,
    cast(sleep_score as double) as sleep_score
from {{ ref('int_wellness_daily_unioned') }}
{%- if is_incremental() %}
where {{ changed_athletes_predicate() }}
{%- endif %}
