"""Daily readiness per athlete: `analytics.readiness` over the wellness baselines (each component and weight)."""

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
    baselines = dbt.ref("wellness_baselines_computed").pl()
    if athletes is not None:
        baselines = baselines.filter(pl.col("athlete_id").is_in(athletes))
    return analytics.readiness(baselines)
