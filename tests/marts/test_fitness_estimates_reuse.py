"""The fitness estimates' incremental build refits only the dates whose window changed: the dbt Python model run on
a real DuckDB session, once in full and once incrementally over its own earlier table."""

from __future__ import annotations

import importlib.util
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl

import analytics

MODEL = (
    Path(__file__).parents[2] / "transform" / "models" / "marts" / "compute" / "fitness_estimates_computed.py"
)
WINDOW_DAYS = 42
FIRST = date(2026, 1, 1)


def _model():
    spec = importlib.util.spec_from_file_location("fitness_estimates_computed", MODEL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.model


class _Dbt:
    """What the model uses of dbt's object: ref, config, is_incremental and this."""

    def __init__(self, session: duckdb.DuckDBPyConnection, incremental: bool):
        self.session, self.is_incremental, self.this = session, incremental, "previous"
        settings = {"estimates_window_days": WINDOW_DAYS, "algo_cp_fit": "work_time"}

        def config(**_materialization) -> None:  # dbt.config(...) in the model; .get(...) reads the vars
            return None

        config.get = settings.get  # type: ignore[attr-defined]
        self.config = config

    def ref(self, name: str):
        return self.session.table(name)


def _ride(activity_id: str, day: date, cp_w: float) -> dict:
    """A ride whose mean-max curve follows the 2-parameter model P = CP + W'/t (W' 20 kJ)."""
    durations = list(analytics.STANDARD_DURATIONS)
    return {"athlete_id": "a", "local_date": day, "activity_id": activity_id, "sport": "cycling",
            "power_curve_durations_s": durations, "power_curve_w": [cp_w + 20000.0 / t for t in durations],
            "best_effort_distances_m": [], "best_effort_s": []}  # fmt: skip


def _session(rides: list[dict]) -> duckdb.DuckDBPyConnection:
    session = duckdb.connect()
    scores = pl.DataFrame(rides)  # noqa: F841 (read by the SQL below)
    session.execute("create table activity_scores_computed as select * from scores")
    session.execute("create table activities as select activity_id from scores")
    session.execute("create table int_marts_athletes as select 'a' as athlete_id")
    return session


def test_an_incremental_run_refits_only_the_dates_whose_window_changed():
    model = _model()
    rides = [_ride(f"r{i}", FIRST + timedelta(days=7 * i), 250.0 + i) for i in range(12)]
    session = _session(rides)
    first = model(_Dbt(session, incremental=False), session)
    assert first.height == 12 and first["inputs_digest"].n_unique() == 12
    # Mark every kept row: a row the incremental run reuses comes back with the mark, a refitted one without.
    marked = first.with_columns(cp_note=pl.lit("kept"))  # noqa: F841 (read by the SQL below)
    session.execute("create table previous as select * from marked")

    new_day = FIRST + timedelta(days=7 * 11 + 3)  # inside the windows of the last dates only
    session.execute("drop table activity_scores_computed; drop table activities")
    rides.append(_ride("late", new_day, 300.0))
    scores = pl.DataFrame(rides)  # noqa: F841
    session.execute("create table activity_scores_computed as select * from scores")
    session.execute("create table activities as select activity_id from scores")

    incremental = model(_Dbt(session, incremental=True), session).sort("date")
    full = model(_Dbt(session, incremental=False), session).sort("date")
    refitted = incremental.filter(pl.col("cp_note").is_null() | (pl.col("cp_note") != "kept"))
    assert refitted["date"].to_list() == [new_day]  # no earlier date's window holds the new ride
    # every other date reused its row, and the reused rows are exactly what a full run computes
    assert incremental.with_columns(cp_note=full["cp_note"]).equals(full)
    assert full.filter(pl.col("date") == new_day)["cp_w"][0] > first["cp_w"].max()


def test_a_changed_effort_inside_a_window_refits_every_date_that_sees_it():
    model = _model()
    rides = [_ride(f"r{i}", FIRST + timedelta(days=7 * i), 250.0) for i in range(12)]
    session = _session(rides)
    first = model(_Dbt(session, incremental=False), session)
    marked = first.with_columns(cp_note=pl.lit("kept"))  # noqa: F841
    session.execute("create table previous as select * from marked")
    # ride r5 re-recorded with more power: the dates from r5's to 41 days after it see the change
    session.execute(
        "update activity_scores_computed set power_curve_w = list_transform(power_curve_w, p -> p + 40) "
        "where activity_id = 'r5'"
    )
    incremental = model(_Dbt(session, incremental=True), session).sort("date")
    changed = FIRST + timedelta(days=35)
    seeing = [
        d for d in incremental["date"].to_list() if changed <= d < changed + timedelta(days=WINDOW_DAYS)
    ]
    refitted = incremental.filter(pl.col("cp_note").is_null() | (pl.col("cp_note") != "kept"))
    assert refitted["date"].to_list() == seeing and len(seeing) == 6
    full = model(_Dbt(session, incremental=False), session).sort("date")
    assert incremental.with_columns(cp_note=full["cp_note"]).equals(full)
