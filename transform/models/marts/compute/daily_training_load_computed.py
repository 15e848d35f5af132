"""Daily training load per athlete: every calendar day from the athlete's first activity to the as-of date.

Fetches the activity loads (marts.activity_load) and calls `analytics.daily_training_load` (PMC, ACWR,
monotony/strain) with the variants chosen by dbt vars. The as-of date is intermediate.int_marts_as_of (the var
`marts_as_of_date` when set, otherwise the later of today (UTC) and the latest activity date), so the chart
reaches today even when the data stops earlier (rest days count as load 0).
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
    # activity_load (not the incremental scores table): it holds exactly the current activities.
    loads = dbt.ref("activity_load").select('athlete_id, "date", "load"').pl()
    if athletes is not None:
        loads = loads.filter(pl.col("athlete_id").is_in(athletes))
    end = dbt.ref("int_marts_as_of").pl()["as_of_date"][0]
    # A pinned as-of date in the past shows the chart as it stood then: later activities are left out.
    return analytics.daily_training_load(
        loads.filter(pl.col("date") <= end),
        end_date=end,
        pmc_convention=dbt.config.get("algo_pmc"),
        tsb=dbt.config.get("algo_tsb"),
        acwr_method=dbt.config.get("algo_acwr"),
        ewma_seed=dbt.config.get("algo_ewma_seed"),
        sd=dbt.config.get("algo_monotony_sd"),
    )
