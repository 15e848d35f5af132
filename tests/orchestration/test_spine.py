"""The spine end to end: Dagster runs dlt -> dbt -> publish; readers see a consistent read-only snapshot."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.build import run_build
from query.snapshot import snapshot_connection

ASSET_KEYS_SNAPSHOT = Path(__file__).with_name("asset_keys.txt")

# Primary keys of the published OpenFit tables (the dbt contracts test them too; this checks the snapshot).
OPENFIT_KEYS = {
    "athletes": ["athlete_id"],
    "athlete_thresholds": ["athlete_id", "valid_from"],
    "devices": ["device_id"],
    "activity_recordings": ["recording_id"],
    "activities": ["activity_id"],
    "activity_samples": ["recording_id", "ts"],
    "laps": ["recording_id", "lap_index"],
    "sleep_sessions": ["sleep_id"],
    "sleep_stages": ["sleep_id", "start_time"],
    "wellness_daily": ["athlete_id", "date"],
    "wellness_daily_by_source": ["athlete_id", "date", "source", "device_id"],
    "metrics": ["athlete_id", "metric", "device_id", "ts"],
}


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from openfit.{t}").fetchone()[0] for t in OPENFIT_KEYS}


def duplicate_keys(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    dupes = {}
    for table, key in OPENFIT_KEYS.items():
        cols = ", ".join(key)
        n = con.execute(
            f"select count(*) from (select {cols} from openfit.{table} group by {cols} having count(*) > 1)"
        ).fetchone()[0]
        if n:
            dupes[table] = n
    return dupes


def test_definitions_load_and_asset_keys_match_snapshot(fixture_warehouse):
    from orchestration.defs import REFRESH_JOB, build_definitions

    defs = build_definitions()
    job = defs.resolve_job_def(REFRESH_JOB)
    assert job is not None
    keys = sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys())
    if os.environ.get("OPENFIT_UPDATE_SNAPSHOTS"):
        ASSET_KEYS_SNAPSHOT.write_text("\n".join(keys) + "\n")
    # A rename anywhere in the graph shows up here; refresh with OPENFIT_UPDATE_SNAPSHOTS=1 when intended.
    assert keys == ASSET_KEYS_SNAPSHOT.read_text().split()
    groups = {
        defs.resolve_assets_def(k).group_names_by_key[k]
        for k in defs.resolve_asset_graph().get_all_asset_keys()
    }
    assert {"raw", "staging", "openfit", "publish"} <= groups


def test_snapshot_has_every_openfit_table_populated_without_duplicate_keys(fixture_warehouse):
    with snapshot_connection(fixture_warehouse) as con:
        counts = row_counts(con)
        assert all(n > 0 for n in counts.values()), counts
        assert duplicate_keys(con) == {}
        info = con.execute("select status, run_id from meta.build_info").fetchone()
        assert info[0] == "success" and info[1]


def test_snapshot_values_within_physiological_ranges(fixture_warehouse):
    checks = {
        "heart rate 25-250 bpm": "select count(*) from openfit.activity_samples where heart_rate not between 25 and 250",
        "power 0-2500 W": "select count(*) from openfit.activity_samples where power_w not between 0 and 2500",
        "latitude": "select count(*) from openfit.activity_samples where lat not between -90 and 90",
        "longitude": "select count(*) from openfit.activity_samples where lon not between -180 and 180",
        "speed < 30 m/s": "select count(*) from openfit.activity_samples where speed_mps not between 0 and 30",
        "resting HR 30-100": "select count(*) from openfit.wellness_daily where resting_hr not between 30 and 100",
        "HRV 5-250 ms": "select count(*) from openfit.wellness_daily where hrv_rmssd_ms not between 5 and 250",
        "weight 35-200 kg": "select count(*) from openfit.wellness_daily where weight_kg not between 35 and 200",
        "sleep ends after start": "select count(*) from openfit.sleep_sessions where end_time <= start_time",
        "sleep 2-14 h": "select count(*) from openfit.sleep_sessions where duration_s not between 7200 and 50400",
        "activity durations": "select count(*) from openfit.activities where duration_s <= 0 or duration_s > 12*3600",
        "HRmax > HRrest": "select count(*) from openfit.athlete_thresholds where hr_max <= hr_rest",
    }
    with snapshot_connection(fixture_warehouse) as con:
        violations = {name: con.execute(sql).fetchone()[0] for name, sql in checks.items()}
    assert violations == dict.fromkeys(checks, 0)


def test_thresholds_change_at_least_once_per_athlete(fixture_warehouse):
    with snapshot_connection(fixture_warehouse) as con:
        per_athlete = con.execute(
            "select athlete_id, count(*) from openfit.athlete_thresholds group by 1"
        ).fetchall()
    assert per_athlete and all(n >= 2 for _, n in per_athlete)


_READER = textwrap.dedent(
    """
    import sys, time, duckdb
    path, stop_file = sys.argv[1], sys.argv[2]
    import pathlib
    reads = errors = 0
    last_error = ""
    while not pathlib.Path(stop_file).exists():
        try:
            con = duckdb.connect(path, read_only=True)  # opened directly, as a researcher would
            con.execute("select count(*) from openfit.activities").fetchone()
            con.execute("select count(*) from openfit.activity_samples").fetchone()
            con.close()
            reads += 1
        except Exception as exc:
            errors += 1
            last_error = repr(exc)
        time.sleep(0.01)
    print(reads, errors, last_error)
    """
)


@pytest.mark.slow
def test_rebuild_is_idempotent_and_readers_never_fail(warehouse_copy, tmp_path):
    with snapshot_connection(warehouse_copy) as con:
        before = row_counts(con)
        built_before = con.execute("select built_at from meta.build_info").fetchone()[0]

    stop_file = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(warehouse_copy.snapshot_path), str(stop_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(0.5)
        report = run_build(warehouse_copy)
        time.sleep(0.5)
    finally:
        stop_file.touch()
        out, _ = reader.communicate(timeout=60)
    reads, errors, last_error = out.split(" ", 2)
    assert report.success, report.failure
    assert int(errors) == 0, last_error
    assert int(reads) > 10

    with snapshot_connection(warehouse_copy) as con:
        assert row_counts(con) == before
        assert duplicate_keys(con) == {}
        assert con.execute("select built_at from meta.build_info").fetchone()[0] > built_before


@pytest.mark.slow
def test_failed_build_keeps_the_previous_snapshot(warehouse_copy):
    with snapshot_connection(warehouse_copy) as con:
        before_info = con.execute("select run_id, built_at from meta.build_info").fetchone()
        before_counts = row_counts(con)

    # Corrupt the raw layer behind dlt's back: a new load with an activity whose average heart rate is 300 bpm.
    # The model's CHECK constraint stops the build: a model error is a whole-warehouse fault (failing test rows
    # that name their athletes would only withhold those: orchestration/withholding.py), so the build fails
    # and the published snapshot stays untouched.
    con = duckdb.connect(str(warehouse_copy.warehouse_path))
    con.execute("""
        insert into raw_synthetic.activities by name
        select * replace ('bad' || activity_id as activity_id, 'bad' || _dlt_id as _dlt_id,
                          json_merge_patch(payload, '{"averageHR": 300}') as payload, '9999999999.0' as _dlt_load_id)
        from raw_synthetic.activities order by activity_id limit 1""")
    con.execute(
        "insert into raw_synthetic._dlt_loads (load_id, schema_name, status, inserted_at) "
        "select '9999999999.0', 'synthetic', 0, now()"
    )
    con.close()

    # Through the CLI, as a user would: exit 1 and a one-line cause.
    from typer.testing import CliRunner

    from cli import app

    result = CliRunner().invoke(app, ["build"])
    assert result.exit_code == 1, result.output
    assert "build failed: step openfit_dbt failed:" in result.output

    with snapshot_connection(warehouse_copy) as con:
        assert con.execute("select run_id, built_at from meta.build_info").fetchone() == before_info
        assert row_counts(con) == before_counts
