"""Wellness baselines per athlete and local calendar day: resting HR and sleep against their 28-day median/MAD,
HRV (ln RMSSD, 7-day mean) against its 60-day smallest-worthwhile-change band, next to the day's load series.

Fetches the aligned daily series (marts.daily_athlete_summary: chosen resting HR, RMSSD, sleep and TSB) and the
day's ACWR, CTL ramp and monotony (marts.daily_training_load), and calls `analytics.wellness_baselines`.
"""

from __future__ import annotations

import polars as pl

import analytics


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="replace_changed",
        replace_predicate="marts_athletes_predicate",
        # "ignore": a build whose athletes are none returns empty columns of another type (the insert casts
        # them); a change of the columns changes the project, which forces a full build anyway.
        on_schema_change="ignore",
        schema="marts_compute",
    )
    # Incremental: only the athletes this build recomputes (int_marts_athletes; "*" = every athlete).
    scope = dbt.ref("int_marts_athletes").pl()["athlete_id"] if dbt.is_incremental else None
    athletes = None if scope is None or "*" in scope else scope.to_list()
    summary = (
        dbt.ref("daily_athlete_summary")
        .select('athlete_id, "date", resting_hr, hrv_rmssd_ms, sleep_s, tsb')
        .pl()
    )
    load = dbt.ref("daily_training_load").select('athlete_id, "date", acwr, ramp_rate, monotony').pl()
    daily = summary.join(load, on=["athlete_id", "date"], how="left")
    if athletes is not None:
        daily = daily.filter(pl.col("athlete_id").is_in(athletes))
    need_h = float(dbt.config.get("wellness_sleep_need_h"))
    return analytics.wellness_baselines(
        daily.filter(pl.col("athlete_id").is_not_null()), sleep_need_s=need_h * 3600
    )
