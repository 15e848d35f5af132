"""The Great Expectations asset checks: they catch bad rows, pass on good data, and
withhold the athletes whose rows fail (a failure that names no athlete blocks the publish)."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from orchestration.defs.checks import SUITES, run_suite, validate_frame
from query.snapshot import snapshot_connection


def test_validate_frame_reports_out_of_range_heart_rate(tmp_path):
    import great_expectations as gx

    expectations = [
        gx.expectations.ExpectColumnValuesToBeBetween(column="max_hr", min_value=25, max_value=250)
    ]
    good = validate_frame("hr_good", pd.DataFrame({"max_hr": [60, 180, None]}), expectations, tmp_path)
    assert good.success and good.failed == []
    bad = validate_frame("hr_bad", pd.DataFrame({"max_hr": [60, 300]}), expectations, tmp_path)
    assert not bad.success
    assert bad.failed == ["expect_column_values_to_be_between on max_hr: 1"]
    assert json.loads(bad.json_path.read_text())["success"] is False
    page = bad.html_path.read_text()
    assert "FAILED" in page and "300" in page


def test_every_suite_passes_on_the_fixture_warehouse(fixture_warehouse, tmp_path):
    outcomes = {suite.name: run_suite(suite, fixture_warehouse, "test", out_dir=tmp_path) for suite in SUITES}
    assert {name: o.failed for name, o in outcomes.items() if not o.success} == {}
    assert all(o.rows > 0 for o in outcomes.values())
    assert sorted(p.name for p in tmp_path.glob("*.html")) == sorted(f"{s.name}.html" for s in SUITES)


def test_checks_are_registered_blocking_on_the_published_tables(fixture_warehouse):
    from orchestration.defs import build_definitions

    defs = build_definitions()
    checks = {key.name: key for key in defs.resolve_asset_graph().asset_check_keys}
    for suite in SUITES:
        assert suite.name in checks
        assert checks[suite.name].asset_key.path == list(suite.asset)
    assert all(suite.blocking for suite in SUITES)


def test_the_snapshot_publishes_the_checks_of_its_build(fixture_warehouse):
    # Readers (the Data health page) see the build's check results without the Dagster instance.
    from query import dashboards
    from query.snapshot import SnapshotReader

    with snapshot_connection(fixture_warehouse) as con:
        rows = con.execute(
            "select check_name, status, evaluated_expectations from meta.quality_checks"
        ).fetchall()
    assert sorted(name for name, _, _ in rows) == sorted(suite.name for suite in SUITES)
    assert {status for _, status, _ in rows} == {"passed"}
    assert all(evaluated > 0 for _, _, evaluated in rows)
    with SnapshotReader(fixture_warehouse.snapshot_path).cursor() as cur:
        assert dashboards.failed_checks(cur).empty


@pytest.mark.slow
def test_an_overlapping_activity_withholds_its_athlete_and_publishes_everyone_else(
    warehouse_copy, monkeypatch
):
    """A broken row (a second canonical activity on top of an existing run) fails the blocking check for one
    athlete: the build still publishes the other athletes' new day, keeps that athlete's rows as they were
    published, and names the athlete and the check in the snapshot, `openfit status` and the check's result."""
    from typer.testing import CliRunner

    from cli import app
    from openfit.settings import get_settings
    from orchestration.build import run_build

    con = duckdb.connect(str(warehouse_copy.warehouse_path))
    try:
        # the same watch "records" a strength session during one of its runs: not a duplicate (other sport),
        # so it becomes a canonical activity of its own that overlaps the run
        broken_athlete = con.execute(
            """
            insert into raw_synthetic.activities by name
            select * replace (
                'broken' || activity_id as activity_id,
                json_merge_patch(payload, '{"activityType": "strength_training"}') as payload,
                'broken' || _dlt_id as _dlt_id
            )
            from raw_synthetic.activities
            where payload->>'activityType' = 'running'
            order by activity_id
            limit 1
            returning athlete_id
            """
        ).fetchone()[0]
    finally:
        con.close()
    with snapshot_connection(warehouse_copy) as con:
        run_before = con.execute("select run_id from meta.build_info").fetchone()[0]
        activities_before = con.execute(
            "select athlete_id, activity_id, name from openfit.activities order by all"
        ).fetchall()
        athletes = [
            r[0] for r in con.execute("select athlete_id from openfit.athletes order by 1").fetchall()
        ]
    others = [a for a in athletes if a != broken_athlete]

    # every athlete gets one more day of data in the same build
    monkeypatch.setenv("OPENFIT_SYNTHETIC_DAYS", "61")
    monkeypatch.setenv("OPENFIT_SYNTHETIC_END_DATE", "2026-07-01")
    get_settings.cache_clear()
    report = run_build(get_settings())
    assert report.success, report.failure

    with snapshot_connection(warehouse_copy) as con:
        assert con.execute("select run_id from meta.build_info").fetchone()[0] != run_before
        new_day = dict(
            con.execute(
                "select athlete_id, count(*) from openfit.wellness_daily where date = '2026-07-01' group by 1"
            ).fetchall()
        )
        mine = con.execute(
            "select athlete_id, activity_id, name from openfit.activities where athlete_id = ? order by all",
            [broken_athlete],
        ).fetchall()
        withheld = con.execute("select athlete_id, test from meta.withheld order by all").fetchall()
    assert set(new_day) == set(others)  # the others' new day is published, the withheld athlete's is not
    assert mine == [row for row in activities_before if row[0] == broken_athlete]  # as last published
    assert withheld == [(broken_athlete, "gx:activities_quality")]

    result = json.loads(
        (warehouse_copy.home_dir / "quality" / report.run_id / "activities_quality.json").read_text()
    )
    assert result["success"] is False
    failed = [r["expectation_config"]["kwargs"]["column"] for r in result["results"] if not r["success"]]
    assert failed == ["overlap_with_previous_s"]

    status = CliRunner().invoke(app, ["status"])
    assert status.exit_code == 0, status.output
    assert (
        "withheld" in status.output
        and broken_athlete in status.output
        and "gx:activities_quality" in status.output
    )
