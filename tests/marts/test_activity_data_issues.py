"""marts.activity_data_issues in the published snapshot of a real build: it finds the sensor faults the synthetic
provider injected (ground truth: fault_truth), raises few others, and holds exactly what analytics computes from
the snapshot's own samples."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

import analytics
from ingestion.sources.synthetic import fault_truth


@pytest.fixture
def cohort(fixture_warehouse) -> dict:
    s = fixture_warehouse
    return {"athletes": s.synthetic_athletes, "days": s.synthetic_days, "seed": s.synthetic_seed,
            "end_date": s.synthetic_end_date}  # fmt: skip


@pytest.fixture
def snap(fixture_warehouse):
    con = duckdb.connect(":memory:")
    con.execute(f"attach '{fixture_warehouse.snapshot_path}' as snap (read_only)")
    con.execute("use snap")
    con.execute("set TimeZone = 'UTC'")
    yield con
    con.close()


def _labels(snap, cohort: dict) -> pl.DataFrame:
    """The injected faults, with the openfit activity their recording was merged into."""
    truth = fault_truth(**cohort)
    recordings = snap.execute(
        "select recording_id, activity_id as openfit_activity_id from openfit.activity_recordings"
    ).pl()
    return truth.with_columns(recording_id="synthetic:" + pl.col("activity_id")).join(
        recordings, on="recording_id", how="left"
    )


def _issues(snap) -> pl.DataFrame:
    return snap.execute(
        "select activity_id, issue_index, kind, channel, severity, samples, explanation, "
        "epoch(start_time)::bigint as start_s, epoch(end_time)::bigint as end_s from marts.activity_data_issues"
    ).pl()


def test_the_injected_faults_are_found_with_few_false_alarms(snap, cohort):
    labels, issues = _labels(snap, cohort), _issues(snap)
    assert labels.height >= 10, "the fixture cohort should carry a handful of labelled faults"
    assert labels["openfit_activity_id"].null_count() == 0, "every faulty recording is in openfit"
    # An issue is a true detection when it overlaps a labelled fault in time in the same activity; a label is
    # found when an issue of its kind overlaps it.
    pairs = issues.join(
        labels, left_on="activity_id", right_on="openfit_activity_id", suffix="_label"
    ).filter((pl.col("start_s") <= pl.col("end_gmt")) & (pl.col("end_s") >= pl.col("start_gmt")))
    true_detections = pairs.select("activity_id", "issue_index").unique().height
    found = pairs.filter(pl.col("kind") == pl.col("kind_label")).select("recording_id").unique().height
    precision = true_detections / issues.height
    recall = found / labels.height
    assert precision >= 0.9, (precision, issues.join(pairs, on=["activity_id", "issue_index"], how="anti"))
    assert recall >= 0.9, (recall, labels.join(pairs.select("recording_id"), on="recording_id", how="anti"))
    # every kind the cohort injected is among those found
    assert set(pairs.filter(pl.col("kind") == pl.col("kind_label"))["kind"]) == set(labels["kind"])


def test_the_mart_is_analytics_over_the_published_samples(snap):
    issues = _issues(snap)
    flagged = issues["activity_id"].unique().sort().to_list()
    clean = (
        snap.execute(
            "select activity_id from openfit.activities where activity_id not in "
            "(select activity_id from marts.activity_data_issues) order by activity_id limit 5"
        )
        .pl()["activity_id"]
        .to_list()
    )
    for activity_id in flagged + clean:
        sport, ftp = snap.execute(
            """
            select a.sport, t.ftp_w from openfit.activities a
            left join openfit.athlete_thresholds t
              on t.athlete_id = a.athlete_id and t.valid_from <= a.local_date
             and (t.valid_to is null or a.local_date <= t.valid_to)
            where a.activity_id = ? order by t.valid_from desc nulls last limit 1
            """,
            [activity_id],
        ).fetchone()
        samples = snap.execute(
            "select ts, heart_rate, power_w, speed_mps, cadence, lat, lon from openfit.activity_samples "
            "where activity_id = ? order by ts",
            [activity_id],
        ).pl()
        expected = analytics.detect_signal_issues(samples, sport=sport, ftp_w=ftp)
        published = issues.filter(pl.col("activity_id") == activity_id).sort("issue_index")
        assert [(i.kind, i.channel, i.severity, i.samples, i.explanation) for i in expected] == list(
            published.select("kind", "channel", "severity", "samples", "explanation").iter_rows()
        ), activity_id


def _scores_module():
    import importlib.util
    from pathlib import Path

    path = (
        Path(__file__).parents[2]
        / "transform"
        / "models"
        / "marts"
        / "compute"
        / "activity_scores_computed.py"
    )
    spec = importlib.util.spec_from_file_location("activity_scores_computed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_scores_model_cleans_the_samples_only_when_asked():
    scores = _scores_module()
    power = [200.0] * 300
    power[150] = 2400.0  # one isolated spike
    samples = pl.DataFrame({"ts": [float(s) for s in range(300)], "power_w": power})
    activity = {"sport": "cycling", "ftp_w": 250.0}
    assert scores._cleaned(activity, samples, "raw") is samples
    cleaned = scores._cleaned(activity, samples, "cleaned")
    assert cleaned["power_w"].null_count() == 1 and cleaned["power_w"].max() == 200.0
    assert scores._cleaned(activity, None, "cleaned") is None


@pytest.mark.slow
def test_scoring_load_on_the_cleaned_stream_changes_only_the_faulty_activities(warehouse_copy, monkeypatch):
    """OPENFIT_ALGO_LOAD_STREAM=cleaned and a rebuild: activities without issues keep their scores exactly; a
    power spike's activity loses NP, an HR spike's activity loses its max HR."""
    from openfit.settings import get_settings
    from orchestration.build import run_build

    columns = "activity_id, load, np_w, max_hr_bpm, trimp"

    def scores(settings) -> tuple[pl.DataFrame, pl.DataFrame]:
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"attach '{settings.snapshot_path}' as snap (read_only)")
            con.execute("use snap")
            return (
                con.execute(f"select {columns} from marts.activity_load order by activity_id").pl(),
                con.execute("select distinct activity_id, kind from marts.activity_data_issues").pl(),
            )
        finally:
            con.close()

    before, issues = scores(warehouse_copy)
    assert warehouse_copy.algo_load_stream == "raw"
    monkeypatch.setenv("OPENFIT_ALGO_LOAD_STREAM", "cleaned")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.algo_load_stream == "cleaned"
    report = run_build(settings)
    assert report.success, report.failure
    after, issues_after = scores(settings)
    assert issues_after.sort(["activity_id", "kind"]).equals(issues.sort(["activity_id", "kind"]))

    joined = after.join(before, on="activity_id", suffix="_raw")
    clean = joined.filter(~pl.col("activity_id").is_in(issues["activity_id"].to_list()))
    assert clean.height > 50
    for column in ("load", "np_w", "max_hr_bpm", "trimp"):
        a, b = clean[column], clean[f"{column}_raw"]
        assert (a.is_null() == b.is_null()).all() and (a.drop_nulls() == b.drop_nulls()).all(), column

    def faulty(kind: str) -> pl.DataFrame:
        ids = issues.filter(pl.col("kind") == kind)["activity_id"].to_list()
        return joined.filter(pl.col("activity_id").is_in(ids))

    assert (
        faulty("power_spike").height > 0
        and (faulty("power_spike")["np_w"] < faulty("power_spike")["np_w_raw"]).all()
    )
    assert faulty("hr_spike").height > 0
    assert (faulty("hr_spike")["max_hr_bpm"] < faulty("hr_spike")["max_hr_bpm_raw"]).all()
