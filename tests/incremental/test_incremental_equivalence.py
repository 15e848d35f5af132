"""An incremental build gives the same published tables as a full one, for new synthetic days.

(a) a full build of days 1..N-1 then an incremental load of day N equals a fresh full build of days 1..N, and
equals `openfit build --full` on the same home; loading the same day again changes nothing. Readers never fail
during incremental publishes, and a run killed mid-increment leaves the old snapshot and is caught up by the next.
Each builds small real warehouses through Dagster and dbt. The files' side: test_incremental_files.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from incremental.builds import (
    END,
    build,
    copy_home,
    dbt_nodes_of_last_build,
    last_build,
    publish_kind,
    synthetic_home,
)
from incremental.checksums import differences, table_checksums
from orchestration.incremental import STATE_SCHEMA

pytestmark = pytest.mark.slow

DAYS = 14


@pytest.fixture(scope="module")
def base_home(tmp_path_factory) -> Path:
    """A home built in full with days 1..N-1 (copied by the tests that add day N)."""
    home = tmp_path_factory.mktemp("base") / "home"
    with pytest.MonkeyPatch.context() as monkeypatch:
        build(synthetic_home(monkeypatch, home, DAYS - 1, END - timedelta(days=1)))
    return home


@pytest.fixture(scope="module")
def full_build_checksums(tmp_path_factory) -> dict:
    """Checksums of a fresh full build of days 1..N: what every way of getting there must equal."""
    home = tmp_path_factory.mktemp("fresh") / "home"
    with pytest.MonkeyPatch.context() as monkeypatch:
        settings = synthetic_home(monkeypatch, home, DAYS, END)
        build(settings)
        checksums = table_checksums(settings.snapshot_path)
    assert checksums["openfit.activity_samples"][0] > 0 and checksums["openfit.metrics"][0] > 0
    return checksums


def test_new_day_incremental_equals_full_build(
    base_home, full_build_checksums, tmp_path, monkeypatch, caplog
):
    settings = synthetic_home(
        monkeypatch, copy_home(base_home, tmp_path / "home"), DAYS, END
    )  # same first day, one day more
    assert last_build(settings)[0] == "full"  # the base's first build
    build(settings)
    kind, activities, windows = last_build(settings)
    assert kind == "incremental"
    assert windows == 1  # one athlete's new day
    assert publish_kind(settings) == "incremental"
    assert differences(table_checksums(settings.snapshot_path), full_build_checksums) == {}

    # the same day again: the synthetic source loads nothing new, so dbt does not run, and nothing changes
    assert dbt_nodes_of_last_build(settings)[1] > 0
    caplog.clear()
    build(settings)
    assert last_build(settings) == ("incremental", 0, 0)
    assert dbt_nodes_of_last_build(settings) == ("nothing new", 0)
    assert "emitted no result" not in caplog.text  # dbt's tests that did not run are no warnings
    assert publish_kind(settings) == "incremental"
    assert differences(table_checksums(settings.snapshot_path), full_build_checksums) == {}

    # nothing new, but the daily marts end before today (as after midnight UTC): dbt runs to extend them
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("update intermediate.int_marts_as_of set as_of_date = as_of_date - 1")
    build(settings)
    assert dbt_nodes_of_last_build(settings)[1] > 0
    assert differences(table_checksums(settings.snapshot_path), full_build_checksums) == {}

    # `openfit build --full` on the incremental home: the same tables again
    build(settings, full=True)
    assert last_build(settings)[0] == "full"
    assert publish_kind(settings) == "full"
    assert differences(table_checksums(settings.snapshot_path), full_build_checksums) == {}


# A researcher's loop: open the snapshot directly, read, and check that what it reads is one snapshot (the
# samples it counts are the samples the snapshot's own meta says it holds). Reports its count as it goes.
_READER = textwrap.dedent(
    """
    import pathlib, sys, time, duckdb
    path, stop_file, progress_file = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    reads = errors = 0
    last_error = ""
    while not stop_file.exists():
        try:
            con = duckdb.connect(path, read_only=True)
            samples = con.execute("select count(*) from openfit.activity_samples").fetchone()[0]
            meta = con.execute(
                "select row_count from meta.table_rows where table_name = 'openfit.activity_samples'"
            ).fetchone()[0]
            con.close()
            if samples != meta:
                raise AssertionError(f"mixed snapshot: {samples} samples, meta says {meta}")
            reads += 1
        except Exception as exc:
            errors += 1
            last_error = repr(exc)
        if reads % 50 == 0:
            progress_file.write_text(str(reads))
    print(reads, errors, last_error)
    """
)


def _progress(path: Path) -> int:
    text = path.read_text() if path.exists() else ""
    return int(text) if text.isdigit() else 0


def test_readers_never_fail_during_incremental_publishes(base_home, tmp_path, monkeypatch):
    from orchestration.publish import publish_snapshot

    settings = synthetic_home(monkeypatch, copy_home(base_home, tmp_path / "home"), DAYS, END)
    stop_file, progress_file = tmp_path / "stop", tmp_path / "progress"
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(settings.snapshot_path), str(stop_file), str(progress_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    publishes = 0
    try:
        build(settings)  # the new day: an incremental transform and publish
        assert publish_kind(settings) == "incremental"
        # more incremental publishes (at least 3) until the reader has opened the snapshot 1,000 times
        while publishes < 3 or (publishes < 500 and _progress(progress_file) < 1000):
            result = publish_snapshot(f"loop-{publishes}", settings)
            assert result.kind == "incremental"
            publishes += 1
    finally:
        stop_file.touch()
        out, _ = reader.communicate(timeout=60)
    reads, errors, last_error = out.split(" ", 2)
    assert int(errors) == 0, last_error
    assert int(reads) >= 1000 and publishes >= 1


_KILLABLE_BUILD = textwrap.dedent(
    """
    import sys
    from orchestration.build import run_build
    from openfit.settings import get_settings
    report = run_build(get_settings(), on_progress=lambda stage, message: print(stage, message, flush=True))
    print("finished", report.success, flush=True)
    """
)


@pytest.mark.parametrize("stage", ["transform", "publish"])
def test_sigkill_mid_increment_keeps_the_old_snapshot_and_the_next_run_catches_up(
    stage, base_home, full_build_checksums, tmp_path, monkeypatch
):
    home = copy_home(base_home, tmp_path / "home")
    settings = synthetic_home(monkeypatch, home, DAYS - 1, END - timedelta(days=1))
    before = table_checksums(settings.snapshot_path)
    settings = synthetic_home(monkeypatch, home, DAYS, END)
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLABLE_BUILD], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    temp_snapshots = settings.serving_dir.glob  # the publish writes the new snapshot beside the old one
    killed = False
    for line in child.stdout:
        if stage == "transform" and line.startswith("transform openfit_dbt: started"):
            time.sleep(1.5)  # inside dbt: some models written, others not
            child.send_signal(signal.SIGKILL)
            killed = True
            break
        if stage == "publish" and line.startswith("publish") and line.rstrip().endswith("started"):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not list(temp_snapshots(".snapshot-*.duckdb.tmp")):
                time.sleep(0.001)
            child.send_signal(signal.SIGKILL)
            killed = True
            break
    child.wait(timeout=120)
    assert killed and child.returncode == -signal.SIGKILL
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:  # it really stopped mid-way
        if stage == "transform":
            assert con.execute(f"select count(*) from {STATE_SCHEMA}.transform_started").fetchone()[0] == 1
    assert differences(table_checksums(settings.snapshot_path), before) == {}  # the old snapshot, readable

    build(settings)  # the next run: after a killed transform it rebuilds in full; after a killed publish the
    assert (
        differences(table_checksums(settings.snapshot_path), full_build_checksums) == {}
    )  # transform was done
    assert not list(settings.serving_dir.glob(".snapshot-*.duckdb.tmp*"))
