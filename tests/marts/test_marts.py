"""The training-load marts in the published snapshot of a real build (dlt -> dbt -> publish through Dagster).

Checks are consistency checks against analytics itself (one implementation per formula): the marts must hold
exactly what analytics computes from the warehouse's own samples, thresholds and loads.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import UTC, date, datetime

import duckdb
import numpy as np
import polars as pl
import pytest

import analytics

MARTS = (
    "activity_load",
    "daily_training_load",
    "power_curve",
    "pace_curve",
    "personal_records",
    "fitness_estimates",
    "cross_device_daily",
    "daily_athlete_summary",
)


def frame(con, sql: str, params=None) -> pl.DataFrame:
    return con.execute(sql, params or []).pl()


@contextmanager
def open_snapshot(settings):
    """The published snapshot, read only. Attached under a fixed name, as the API does."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{settings.snapshot_path}' as snap (read_only)")
        con.execute("use snap")
        yield con
    finally:
        con.close()


@pytest.fixture
def snap(fixture_warehouse):
    with open_snapshot(fixture_warehouse) as con:
        yield con


def test_every_mart_is_published_and_populated_for_every_athlete(snap):
    athletes = set(frame(snap, "select athlete_id from openfit.athletes")["athlete_id"])
    assert len(athletes) == 3
    tables = set(frame(snap, "select table_name from information_schema.tables where table_schema = 'marts'")[
        "table_name"])  # fmt: skip
    assert set(MARTS) <= tables
    with_power = set(frame(snap, "select distinct athlete_id from marts.activity_load "
                                 "where sport = 'cycling' and np_w is not null")["athlete_id"])  # fmt: skip
    with_runs = set(frame(snap, "select distinct a.athlete_id from openfit.activities a "
                                "join openfit.activity_samples s using (activity_id) "
                                "where a.sport = 'running' and s.distance_m is not null")["athlete_id"])  # fmt: skip
    expected = {"power_curve": with_power, "pace_curve": with_runs}
    assert with_power and with_runs
    for table in MARTS:
        present = set(frame(snap, f"select distinct athlete_id from marts.{table}")["athlete_id"])
        assert present == expected.get(table, athletes), f"marts.{table} has athletes {present}"


def test_activity_load_has_every_activity_scored_without_errors(snap):
    missing = frame(
        snap, "select activity_id from openfit.activities anti join marts.activity_load using (activity_id)"
    )
    assert missing.height == 0
    load = frame(snap, "select * from marts.activity_load")
    assert load["scoring_error"].null_count() == load.height
    # Every synthetic activity has heart rate, so at least HRSS scores it; rides with power use power TSS.
    assert load["load"].null_count() == 0
    sources = load.group_by("sport", "load_source").len()
    assert {"power_tss", "rtss", "hrss"} <= set(sources["load_source"])
    assert (load.filter(pl.col("load_source") == "power_tss")["load"] == load.filter(
        pl.col("load_source") == "power_tss")["tss"]).all()  # fmt: skip


def test_activities_are_scored_with_the_thresholds_in_force_on_their_date(snap):
    expected = frame(
        snap,
        """
        select a.activity_id, t.valid_from, t.ftp_w, t.lthr, t.hr_max, t.hr_rest
        from openfit.activities a join openfit.athlete_thresholds t
          on t.athlete_id = a.athlete_id and t.valid_from <= a.local_date
         and (t.valid_to is null or a.local_date <= t.valid_to)
        """,
    )
    got = frame(
        snap,
        "select activity_id, thresholds_valid_from, ftp_w, lthr, hr_max, hr_rest from marts.activity_load",
    )
    joined = expected.join(got, on="activity_id", how="left")
    assert joined.height == expected.height > 0
    assert (joined["valid_from"] == joined["thresholds_valid_from"]).all()
    for col in ("ftp_w", "lthr", "hr_max", "hr_rest"):
        assert (joined[col] == joined[f"{col}_right"]).all(), col
    # The cohort's thresholds change during the 60 days, so more than one row is really in use.
    assert got.group_by("thresholds_valid_from").len().height > 3


@pytest.mark.parametrize("sport", ["cycling", "running"])
def test_activity_scores_equal_analytics_on_the_samples(snap, sport):
    row = frame(
        snap,
        "select l.*, p.sex from marts.activity_load l join openfit.athletes p using (athlete_id) "
        "where l.sport = ? order by l.activity_id limit 1",
        [sport],
    ).row(0, named=True)
    samples = frame(snap, "select * from openfit.activity_samples where activity_id = ? order by ts",
                    [row["activity_id"]])  # fmt: skip
    thresholds = analytics.Thresholds.from_row(row, sex="female" if row["sex"] == "F" else "male")
    scored = analytics.score_activity(samples, thresholds, sport=sport)
    for key in ("load", "tss", "np_w", "trimp", "hrss", "rtss", "efficiency_factor", "decoupling_pct"):
        if scored[key] is None:
            assert row[key] is None, key
        else:
            assert row[key] == pytest.approx(scored[key], rel=1e-12), key
    assert row["load_source"] == scored["load_source"]
    assert row["efficiency_basis"] == scored["efficiency_basis"]
    # Every synthetic activity has HR and its output: the efficiency factor is always there.
    assert row["efficiency_factor"] is not None
    assert row["efficiency_basis"] == ("grade_adjusted_speed" if sport == "running" else "power")


def test_daily_training_load_has_every_calendar_day_to_the_as_of_date(snap):
    days = frame(
        snap,
        """select athlete_id, min("date") as first, max("date") as last, count(*) as n,
                  count(distinct "date") as distinct_days
           from marts.daily_training_load group by athlete_id""",
    )
    firsts = frame(snap, "select athlete_id, min(local_date) as first_activity, max(local_date) as last_activity "
                         "from openfit.activities group by athlete_id")  # fmt: skip
    as_of = max(datetime.now(UTC).date(), firsts["last_activity"].max())
    joined = days.join(firsts, on="athlete_id")
    for r in joined.iter_rows(named=True):
        assert r["first"] == r["first_activity"]
        assert r["last"] == as_of
        assert r["n"] == r["distinct_days"] == (r["last"] - r["first"]).days + 1  # no gap, no duplicate


def test_daily_load_is_the_sum_of_activity_loads(snap):
    check = frame(
        snap,
        """select d.athlete_id, d."date", d.load, coalesce(sum(a.load), 0) as activity_sum, count(a.activity_id) as n,
                  d.activities
           from marts.daily_training_load d
           left join marts.activity_load a on a.athlete_id = d.athlete_id and a."date" = d."date"
           group by all""",
    )
    assert np.allclose(check["load"].to_numpy(), check["activity_sum"].to_numpy(), rtol=1e-12, atol=1e-9)
    assert (check["n"] == check["activities"]).all()
    assert (check["load"] == 0).sum() > 0  # rest days are rows with load 0


def test_pmc_columns_equal_analytics_pmc_over_the_marts_own_load(snap):
    daily = frame(snap, 'select * from marts.daily_training_load order by athlete_id, "date"')
    for (athlete,), group in daily.group_by("athlete_id", maintain_order=True):
        convention, alignment = group["pmc_convention"][0], group["tsb_alignment"][0]
        assert (convention, alignment) == ("goldencheetah", "yesterday")  # the defaults
        chart = analytics.pmc(group["load"].to_numpy(), convention, alignment)
        for key in ("ctl", "atl", "tsb", "ramp_rate"):
            assert np.allclose(group[key].to_numpy(), chart[key], rtol=1e-12, atol=1e-9), (athlete, key)
        ratio = analytics.acwr(
            group["load"].to_numpy(), group["acwr_method"][0], ewma_seed=group["ewma_seed"][0]
        )
        assert np.allclose(group["acwr"].fill_null(np.nan).to_numpy(), ratio["ratio"], equal_nan=True)
        assert group["ctl"].max() > 10  # a real training history, not a flat zero line


def test_power_curve_is_the_best_analytics_mean_max_of_the_rides(snap):
    athlete = frame(snap, "select athlete_id from marts.power_curve order by athlete_id limit 1")[
        "athlete_id"
    ][0]
    rides = frame(snap, "select activity_id from marts.activity_load where athlete_id = ? and sport = 'cycling' "
                        "and np_w is not null", [athlete])["activity_id"]  # fmt: skip
    best = {}
    for activity_id in rides:
        samples = frame(snap, "select ts, power_w from openfit.activity_samples where activity_id = ? order by ts",
                        [activity_id])  # fmt: skip
        curve = analytics.mean_max(analytics.to_stream(samples)["power"], [5, 60, 300, 1200])
        for d, v in curve.as_dict().items():
            if v is not None and v > best.get(d, (-1.0, None))[0]:
                best[d] = (v, activity_id)
    mart = frame(snap, """select duration_s, watts, activity_id from marts.power_curve
                          where athlete_id = ? and "window" = 'all_time' and duration_s in (5, 60, 300, 1200)""",
                 [athlete])  # fmt: skip
    assert mart.height == len(best) > 0
    for r in mart.iter_rows(named=True):
        assert r["watts"] == pytest.approx(best[r["duration_s"]][0], rel=1e-12)
    # Windows: all_time and the calendar season of the data; 90d ends on the as-of date.
    windows = set(frame(snap, 'select distinct "window" from marts.power_curve')["window"])
    assert {"all_time", "season_2026"} <= windows


def test_pace_curve_and_records_agree(snap):
    pace = frame(snap, """select athlete_id, distance_m, time_s, pace_s_per_km, activity_id from marts.pace_curve
                          where "window" = 'all_time'""")  # fmt: skip
    assert pace.height > 0
    assert np.allclose(
        pace["pace_s_per_km"].to_numpy(), (pace["time_s"] / pace["distance_m"] * 1000).to_numpy()
    )
    five_k = frame(
        snap,
        "select athlete_id, value, activity_id from marts.personal_records where record_type = 'best_5k_s'",
    )
    joined = five_k.join(pace.filter(pl.col("distance_m") == 5000), on="athlete_id")
    assert joined.height == five_k.height > 0
    assert (joined["value"] == joined["time_s"]).all()
    # Times grow with distance for every athlete (a longer effort contains a shorter one).
    for (_,), group in pace.sort("distance_m").group_by("athlete_id"):
        assert (np.diff(group["time_s"].to_numpy()) > 0).all()


def test_longest_records_come_from_the_canonical_activities(snap):
    longest = frame(
        snap,
        "select athlete_id, sport, value from marts.personal_records where record_type like 'longest_%_m'",
    )
    expected = frame(snap, "select athlete_id, sport, max(distance_m) as value from openfit.activities "
                           "where distance_m > 0 group by all")  # fmt: skip
    joined = expected.join(longest, on=["athlete_id", "sport"], how="left")
    assert joined.height > 0
    assert (joined["value"] == joined["value_right"]).all()


def test_fitness_estimates_follow_analytics_and_are_never_applied(snap):
    est = frame(snap, 'select * from marts.fitness_estimates order by athlete_id, "date"')
    assert est["eftp_w"].drop_nulls().len() > 0 and est["vdot"].drop_nulls().len() > 0
    # The 60-day cohort fits in the 90-day window: the last estimate sees every ride and run.
    last = est.group_by("athlete_id").agg(pl.all().sort_by("date").last())
    p20 = frame(snap, """select athlete_id, watts from marts.power_curve
                         where "window" = 'all_time' and duration_s = 1200""")  # fmt: skip
    for r in last.join(p20, on="athlete_id").iter_rows(named=True):
        assert r["eftp_w"] == pytest.approx(0.95 * r["watts"], rel=1e-12)
    for r in last.filter(pl.col("vdot").is_not_null()).iter_rows(named=True):
        assert r["vdot"] == pytest.approx(analytics.vdot(r["vdot_distance_m"], r["vdot_time_s"]), rel=1e-12)
        assert r["vo2max"] == r["vdot"]
    # Suggestions only: thresholds keep their source's method, nothing marked as estimated by the marts.
    methods = set(frame(snap, "select distinct method from openfit.athlete_thresholds")["method"])
    assert "estimated" not in methods


@pytest.mark.slow
def test_switching_the_pmc_convention_and_rebuilding_changes_ctl_as_predicted(warehouse_copy, monkeypatch):
    from openfit.settings import get_settings
    from orchestration.build import run_build

    with open_snapshot(warehouse_copy) as con:
        before = frame(
            con, 'select athlete_id, "date", load, ctl, pmc_convention from marts.daily_training_load'
        )
    monkeypatch.setenv("OPENFIT_ALGO_PMC", "trainingpeaks")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.algo_pmc == "trainingpeaks"
    report = run_build(settings)
    assert report.success, report.failure
    with open_snapshot(settings) as con:
        after = frame(con, 'select athlete_id, "date", load, ctl, pmc_convention from marts.daily_training_load '
                           'order by athlete_id, "date"')  # fmt: skip
    assert set(before["pmc_convention"]) == {"goldencheetah"} and set(after["pmc_convention"]) == {
        "trainingpeaks"
    }
    joined = after.join(before, on=["athlete_id", "date"], suffix="_gc")
    assert joined.height == after.height
    assert np.allclose(joined["load"].to_numpy(), joined["load_gc"].to_numpy())  # same loads, new smoothing
    for (_,), group in joined.group_by("athlete_id", maintain_order=True):
        load = group["load"].to_numpy()
        assert np.allclose(group["ctl"].to_numpy(), analytics.pmc(load, "trainingpeaks")["ctl"], rtol=1e-12)
        assert np.allclose(
            group["ctl_gc"].to_numpy(), analytics.pmc(load, "goldencheetah")["ctl"], rtol=1e-12
        )
        # Day one from zero: CTL = k·load, so the ratio is exactly (1/42) / (1 − e^(−1/42)).
        first = group.row(0, named=True)
        assert first["load"] > 0
        assert first["ctl"] / first["ctl_gc"] == pytest.approx((1 / 42) / (1 - np.exp(-1 / 42)), rel=1e-12)
    assert not np.allclose(joined["ctl"].to_numpy(), joined["ctl_gc"].to_numpy())


def test_as_of_date_rule(warehouse_copy):
    """The daily marts' end date (intermediate.int_marts_as_of): the setting when set, else the later of today
    (UTC) and the last activity's local date."""
    from orchestration.dbt import invoke_dbt

    def built_as_of(settings) -> tuple[date, date]:
        run = invoke_dbt(["run", "--select", "int_marts_as_of"], settings)
        assert run.success, run.failure
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            latest = con.execute("select max(local_date) from openfit.activities").fetchone()[0]
            as_of = con.execute("select as_of_date from intermediate.int_marts_as_of").fetchone()[0]
        return as_of, latest

    as_of, latest = built_as_of(warehouse_copy.model_copy(update={"marts_as_of_date": date(2026, 6, 30)}))
    assert as_of == date(2026, 6, 30)
    as_of, latest = built_as_of(warehouse_copy.model_copy(update={"marts_as_of_date": None}))
    assert as_of == max(datetime.now(UTC).date(), latest)


@pytest.mark.slow
def test_a_threshold_change_rescores_only_the_activities_it_covers(warehouse_copy, tmp_path):
    """Raise one thresholds row's FTP in the warehouse and rebuild the marts only (dbt, as the orchestrator runs
    it): exactly the activities dated inside that row are re-scored, and their power TSS scales by (old/new)²."""
    import subprocess

    from orchestration.dbt import dbt_command, dbt_env

    warehouse = str(warehouse_copy.warehouse_path)
    with duckdb.connect(warehouse) as con:
        row = con.execute(
            """select t.athlete_id, t.valid_from, t.ftp_w from openfit.athlete_thresholds t
               join marts.activity_load l on l.athlete_id = t.athlete_id and l.thresholds_valid_from = t.valid_from
               where l.tss is not null group by all order by count(*) desc, 1, 2 limit 1"""
        ).fetchone()
        before = frame(
            con,
            "select activity_id, athlete_id, thresholds_valid_from, tss, scored_at from marts.activity_load",
        )
        con.execute(
            "update openfit.athlete_thresholds set ftp_w = ftp_w + 20 where athlete_id = ? and valid_from = ?",
            [row[0], row[1]],
        )
    command = dbt_command(
        [
            "run",
            "-s",
            "marts",
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ]
    )
    env = {**os.environ, **dbt_env(warehouse_copy), "OPENFIT_DBT_KEEP_OPEN": "False"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(warehouse, read_only=True) as con:
        after = frame(con, "select activity_id, ftp_w, tss, scored_at from marts.activity_load")
    joined = before.join(after, on="activity_id", suffix="_after")
    assert joined.height == before.height
    covered = (pl.col("athlete_id") == row[0]) & (pl.col("thresholds_valid_from") == row[1])
    hit, missed = joined.filter(covered), joined.filter(~covered)
    assert hit.height > 0 and missed.height > 0
    assert (hit["scored_at_after"] > hit["scored_at"]).all()
    assert (missed["scored_at_after"] == missed["scored_at"]).all()
    assert (missed["tss"].fill_null(-1) == missed["tss_after"].fill_null(-1)).all()
    assert (hit["ftp_w"] == row[2] + 20).all()
    powered = hit.filter(pl.col("tss").is_not_null())
    assert powered.height > 0
    ratio = (row[2] / (row[2] + 20)) ** 2
    assert np.allclose(powered["tss_after"].to_numpy(), powered["tss"].to_numpy() * ratio, rtol=1e-9)


def test_daily_athlete_summary_aligns_load_and_chosen_wellness(snap):
    """One row per athlete-day; load and PMC are daily_training_load's, RHR/HRV/sleep/steps wellness_daily's."""
    summary = frame(snap, "select * from marts.daily_athlete_summary")
    assert summary.select(["athlete_id", "date"]).is_duplicated().sum() == 0
    load_days = frame(snap, "select count(*) as n from marts.daily_training_load")["n"][0]
    wellness_days = frame(snap, "select count(*) as n from openfit.wellness_daily")["n"][0]
    assert max(load_days, wellness_days) <= summary.height <= load_days + wellness_days
    mismatches = frame(
        snap,
        """
        select count(*) as n from marts.daily_athlete_summary s
        left join marts.daily_training_load t using (athlete_id, date)
        left join openfit.wellness_daily w using (athlete_id, date)
        where s.load is distinct from t.load or s.ctl is distinct from t.ctl or s.atl is distinct from t.atl
           or s.tsb is distinct from t.tsb or s.resting_hr is distinct from w.resting_hr
           or s.hrv_rmssd_ms is distinct from w.hrv_rmssd_ms or s.sleep_s is distinct from w.sleep_s
           or s.sleep_score is distinct from w.sleep_score or s.steps is distinct from w.steps
        """,
    )["n"][0]
    assert mismatches == 0
    both = frame(snap, "select count(*) as n from marts.daily_athlete_summary where ctl is not null "
                       "and resting_hr is not null and sleep_s is not null")["n"][0]  # fmt: skip
    assert both > 100  # the series really line up on most days


def test_race_predictions_follow_analytics_from_the_all_time_best_efforts(snap):
    efforts = frame(snap, """select athlete_id, distance_m, time_s, activity_id, "date" from marts.pace_curve
                             where "window" = 'all_time'""")  # fmt: skip
    published = frame(snap, "select * from marts.race_predictions")
    assert efforts.height > 0 and published.height > 0
    assert set(published["athlete_id"]) == set(efforts["athlete_id"])
    by_key = {(r["athlete_id"], r["source_distance_m"], r["target_distance_m"]): r
              for r in published.iter_rows(named=True)}  # fmt: skip
    expected = 0
    for e in efforts.iter_rows(named=True):
        for p in analytics.predict_race_times(e["distance_m"], e["time_s"]):
            expected += 1
            row = by_key[(e["athlete_id"], e["distance_m"], p["target_distance_m"])]
            assert (row["source_time_s"], row["source_activity_id"], row["date"]) == (
                e["time_s"],
                e["activity_id"],
                e["date"],
            )
            assert row["riegel_time_s"] == pytest.approx(p["riegel_time_s"], rel=1e-12)
            assert (
                row["vdot_in_range"] == p["vdot_in_range"] and row["riegel_in_range"] == p["riegel_in_range"]
            )
            if p["vdot_time_s"] is not None:
                assert row["vdot_time_s"] == pytest.approx(p["vdot_time_s"], rel=1e-12)
    assert published.height == expected


def test_fitness_estimates_carry_mortons_3_parameter_fit_beside_the_2_parameter_one(snap):
    est = frame(snap, 'select * from marts.fitness_estimates order by athlete_id, "date"')
    with_power = est.filter(pl.col("eftp_w").is_not_null())
    assert with_power.height > 0
    # Every day with power has either a 3-parameter fit or the reason it has none.
    assert with_power.filter(pl.col("cp3_w").is_null() & pl.col("cp3_note").is_null()).height == 0
    assert with_power["cp3_w"].drop_nulls().len() > 0
    # The 60-day cohort fits in the 90-day window: the last estimate is the fit of the all-time curve.
    last = with_power.group_by("athlete_id").agg(pl.all().sort_by("date").last())
    for r in last.iter_rows(named=True):
        curve = frame(snap, """select duration_s, watts from marts.power_curve
                               where "window" = 'all_time' and athlete_id = ? order by duration_s""",
                      [r["athlete_id"]])  # fmt: skip
        mmp = analytics.MeanMaxCurve(
            durations_s=curve["duration_s"].to_numpy(),
            values=curve["watts"].to_numpy().astype(float),
            start_s=np.zeros(curve.height, np.int64),
        )
        try:
            fit = analytics.critical_power_3p_from_curve(mmp)
        except ValueError as err:
            assert r["cp3_w"] is None and r["cp3_note"] == str(err)
            continue
        assert r["cp3_w"] == pytest.approx(fit.cp_w, rel=1e-9)
        assert r["w_prime3_j"] == pytest.approx(fit.w_prime_j, rel=1e-9)
        assert r["pmax3_w"] == pytest.approx(fit.pmax_w, rel=1e-9)
        assert r["cp3_points"] == fit.n_points and r["cp3_note"] is None
        assert r["pmax3_w"] > r["cp3_w"]
