-- depends_on: {{ ref('int_marts_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='marts_athletes_predicate',
    on_schema_change='fail',
) }}
-- One row per athlete and day with the aligned daily series for cross-metric analysis: training load
-- and PMC from marts.daily_training_load, the chosen resting HR, HRV, sleep and steps from openfit.wellness_daily.
-- Days are those of either table; a day missing from one side has nulls there.
select
    cast(coalesce(training.athlete_id, wellness.athlete_id) as varchar) as athlete_id,
    cast(coalesce(training."date", wellness."date") as date) as "date",
    cast(training."load" as double) as "load",
    cast(training.activities as integer) as activities,
    cast(training.ctl as double) as ctl,
    cast(training.atl as double) as atl,
    cast(training.tsb as double) as tsb,
    cast(wellness.resting_hr as double) as resting_hr,
    cast(wellness.hrv_rmssd_ms as double) as hrv_rmssd_ms,
    cast(wellness.sleep_s as double) as sleep_s,
    cast(wellness.sleep_score as double) as sleep_score,
    cast(wellness.steps as integer) as steps
from {{ ref('daily_training_load') }} as training
full outer join {{ ref('wellness_daily') }} as wellness
    on wellness.athlete_id = training.athlete_id
    and wellness."date" = training."date"
{%- if is_incremental() %}
where {{ marts_athletes_predicate('coalesce(training.athlete_id, wellness.athlete_id)') }}
{%- endif %}
