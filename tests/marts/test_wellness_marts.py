"""marts.wellness_baselines, marts.anomalies and marts.readiness in the published snapshot of a real build.

Consistency checks against analytics itself (one implementation per formula): the marts hold exactly what
analytics computes from the snapshot's own daily series.
"""

from __future__ import annotations

import duckdb
import numpy as np
import polars as pl
import pytest

import analytics
from analytics import wellness


@pytest.fixture
def snap(fixture_warehouse):
    con = duckdb.connect(":memory:")
    con.execute(f"attach '{fixture_warehouse.snapshot_path}' as snap (read_only)")
    con.execute("use snap")
    yield con
    con.close()


def frame(con, sql: str) -> pl.DataFrame:
    return con.execute(sql).pl()


def expected_baselines(snap) -> pl.DataFrame:
    daily = frame(snap, """
        select s.athlete_id, s."date", s.resting_hr, s.hrv_rmssd_ms, s.sleep_s, s.tsb, t.acwr, t.ramp_rate, t.monotony
        from marts.daily_athlete_summary s left join marts.daily_training_load t using (athlete_id, "date")
    """)  # fmt: skip
    return analytics.wellness_baselines(daily)


def assert_same(published: pl.DataFrame, expected: pl.DataFrame, keys: list[str]) -> None:
    assert published.height == expected.height
    left = published.sort(keys)
    right = expected.select(published.columns).sort(keys)
    for column in published.columns:
        a, b = left[column], right[column]
        if a.dtype.is_float():
            assert (a.is_null() == b.is_null()).all(), column
            assert np.allclose(a.drop_nulls().to_numpy(), b.drop_nulls().to_numpy(), rtol=1e-9), column
        else:
            assert a.cast(pl.String).to_list() == b.cast(pl.String).to_list(), column


def test_wellness_baselines_are_analytics_over_the_daily_summary(snap):
    published = frame(snap, "select * from marts.wellness_baselines")
    assert set(published["athlete_id"]) == set(
        frame(snap, "select athlete_id from openfit.athletes")["athlete_id"]
    )
    assert_same(published, expected_baselines(snap), ["athlete_id", "date"])
    # The 60-day fixture is long enough for every baseline to exist on its later days.
    late = published.filter(pl.col("date") >= pl.col("date").min().over("athlete_id") + pl.duration(days=45))
    for column in ("rhr_baseline_median", "hrv_swc_lower", "sleep_baseline_median"):
        assert late[column].null_count() < late.height, column


def test_anomalies_match_analytics_and_explain_themselves(snap):
    published = frame(snap, "select * from marts.anomalies")
    expected = analytics.detect_anomalies(expected_baselines(snap))
    assert_same(published, expected, ["athlete_id", "date", "kind"])
    assert published["explanation"].null_count() == 0
    assert set(published["kind"]) <= set(analytics.ANOMALY_KINDS)
    # Every resting-HR flag sits on a day whose baseline z crossed the threshold.
    joined = frame(snap, """
        select a.severity, b.rhr_z from marts.anomalies a join marts.wellness_baselines b using (athlete_id, "date")
        where a.kind = 'resting_hr_elevated'
    """)  # fmt: skip
    assert (joined["rhr_z"] >= wellness.RHR_Z_THRESHOLD).all()


def test_readiness_is_the_weighted_mean_of_its_published_components(snap):
    published = frame(snap, "select * from marts.readiness")
    expected = analytics.readiness(expected_baselines(snap))
    assert_same(published, expected, ["athlete_id", "date"])
    scored = published.filter(pl.col("score").is_not_null())
    assert scored.height > 0
    names = list(wellness.READINESS_WEIGHTS)
    for row in scored.iter_rows(named=True):
        have = [n for n in names if row[f"{n}_component"] is not None]
        total = sum(row[f"{n}_weight"] for n in have)
        assert row["score"] == pytest.approx(
            sum(row[f"{n}_component"] * row[f"{n}_weight"] for n in have) / total
        )
        assert row["coverage"] == pytest.approx(total / sum(wellness.READINESS_WEIGHTS.values()))
