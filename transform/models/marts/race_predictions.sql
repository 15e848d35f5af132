-- depends_on: {{ ref('int_marts_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='marts_athletes_predicate',
    on_schema_change='fail',
) }}
-- Race-time predictions per athlete: from each all-time best effort (marts.pace_curve) to each target race
-- distance, by Daniels' VDOT and by Riegel, each with whether it lies in the method's stated range of validity
-- (the typed, contracted view of compute/race_predictions_computed.py: analytics.predict_race_times).
select
    cast(athlete_id as varchar) as athlete_id,
    cast(source_distance_m as double) as source_distance_m,
    cast(source_time_s as double) as source_time_s,
    cast(source_activity_id as varchar) as source_activity_id,
    cast("date" as date) as "date",
    cast(target_distance_m as double) as target_distance_m,
    cast(vdot as double) as vdot,
    cast(vdot_time_s as double) as vdot_time_s,
    cast(vdot_in_range as boolean) as vdot_in_range,
    cast(riegel_exponent as double) as riegel_exponent,
    cast(riegel_time_s as double) as riegel_time_s,
    cast(riegel_in_range as boolean) as riegel_in_range
from {{ ref('race_predictions_computed') }}
{%- if is_incremental() %}
where {{ marts_athletes_predicate() }}
{%- endif %}
