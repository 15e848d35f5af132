"""Daily training load per athlete: every calendar day from the athlete's first activity to the as-of date.

Fetches the activity loads (marts.activity_load) and calls `analytics.daily_training_load` (PMC, ACWR,
monotony/strain) with the variants chosen by dbt vars. The as-of date is the var `marts_as_of_date` when set,
otherwise the later of today (UTC) and the latest activity date, so the chart reaches today even when the data
stops earlier (rest days count as load 0) and never cuts off data dated in the future of the machine's clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

import analytics


def as_of_date(setting: str | None, latest_activity: date | None) -> date:
    if setting:
        try:
            return date.fromisoformat(str(setting))
        except ValueError as err:
            raise ValueError(f"marts_as_of_date must be YYYY-MM-DD or empty, got {setting!r}") from err
    today = datetime.now(UTC).date()
    return max(today, latest_activity) if latest_activity is not None else today


def model(dbt, session):
    dbt.config(materialized="table", schema="marts_compute")
    # activity_load (not the incremental scores table): it holds exactly the current activities.
    loads = dbt.ref("activity_load").select('athlete_id, "date", "load"').pl()
    latest = loads["date"].max() if loads.height else None
    end = as_of_date(dbt.config.get("marts_as_of_date"), latest)
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
