-- depends_on: {{ ref('int_marts_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='marts_athletes_predicate',
    on_schema_change='fail',
) }}
-- Fitness estimates (eFTP, CP, W', Morton's CP3/W'/Pmax, VDOT, VO2max) per athlete and activity date over a
-- trailing window: the typed, contracted view of compute/fitness_estimates_computed.py (which calls analytics).
-- SUGGESTIONS: never applied to openfit.athlete_thresholds. Selected and cast only.
select
    cast(athlete_id as varchar) as athlete_id,
    cast("date" as date) as "date",
    cast(window_start as date) as window_start,
    cast(window_days as integer) as window_days,
    cast(eftp_w as double) as eftp_w,
    cast(cp_w as double) as cp_w,
    cast(w_prime_j as double) as w_prime_j,
    cast(cp_rmse_w as double) as cp_rmse_w,
    cast(cp_points as integer) as cp_points,
    cast(cp_note as varchar) as cp_note,
    cast(cp3_w as double) as cp3_w,
    cast(w_prime3_j as double) as w_prime3_j,
    cast(pmax3_w as double) as pmax3_w,
    cast(cp3_rmse_w as double) as cp3_rmse_w,
    cast(cp3_points as integer) as cp3_points,
    cast(cp3_note as varchar) as cp3_note,
    cast(vdot as double) as vdot,
    cast(vo2max as double) as vo2max,
    cast(vdot_distance_m as double) as vdot_distance_m,
    cast(vdot_time_s as double) as vdot_time_s,
    cast(method as varchar) as method,
    cast(cp_method as varchar) as cp_method
from {{ ref('fitness_estimates_computed') }}
{%- if is_incremental() %}
where {{ marts_athletes_predicate() }}
{%- endif %}
