-- depends_on: {{ ref('int_marts_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='marts_athletes_predicate',
    on_schema_change='fail',
) }}
-- Training load of every activity (the typed, contracted view of compute/activity_scores_computed.py, which calls
-- analytics.score_activity). Nothing is computed here: columns are selected and cast.
select
    cast(activity_id as varchar) as activity_id,
    cast(athlete_id as varchar) as athlete_id,
    cast(local_date as date) as "date",
    cast(sport as varchar) as sport,
    cast("load" as double) as "load",
    cast(load_source as varchar) as load_source,
    cast(tss as double) as tss,
    cast(np_w as double) as np_w,
    cast("if" as double) as "if",
    cast(vi as double) as vi,
    cast(avg_power_w as double) as avg_power_w,
    cast(work_kj as double) as work_kj,
    cast(trimp as double) as trimp,
    cast(hrss as double) as hrss,
    cast(rtss as double) as rtss,
    cast(session_rpe_load as double) as session_rpe_load,
    cast(efficiency_factor as double) as efficiency_factor,
    cast(decoupling_pct as double) as decoupling_pct,
    cast(efficiency_basis as varchar) as efficiency_basis,
    cast(avg_hr_bpm as double) as avg_hr_bpm,
    cast(max_hr_bpm as double) as max_hr_bpm,
    cast(duration_s as double) as duration_s,
    cast(moving_s as double) as moving_s,
    cast(ftp_used_w as double) as ftp_used_w,
    cast(ftp_w as integer) as ftp_w,
    cast(lthr as integer) as lthr,
    cast(hr_max as integer) as hr_max,
    cast(hr_rest as integer) as hr_rest,
    cast(threshold_pace_s_per_km as double) as threshold_pace_s_per_km,
    cast(thresholds_valid_from as date) as thresholds_valid_from,
    cast(trimp_sex as varchar) as trimp_sex,
    cast(np_method as varchar) as np_method,
    cast(trimp_method as varchar) as trimp_method,
    cast(hrss_method as varchar) as hrss_method,
    cast(rtss_method as varchar) as rtss_method,
    cast(gap_model as varchar) as gap_model,
    cast(load_priority as varchar) as load_priority,
    cast(scoring_error as varchar) as scoring_error,
    cast(scored_at as timestamp with time zone) as scored_at
from {{ ref('activity_scores_computed') }}
-- the scores table is incremental: rows of activities removed since are not published
where activity_id in (select activity_id from {{ ref('activities') }})
{%- if is_incremental() %}
    and {{ marts_athletes_predicate() }}
{%- endif %}
