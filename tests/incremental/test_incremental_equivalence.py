"""Issue 12, point 1: an incremental build gives the same published tables as a full one.

(a) a full build of days 1..N-1 then an incremental load of day N equals a fresh full build of days 1..N, and
equals `openfit build --full` on the same home; (b) a second FIT file of the same run from another device, merged
into the existing activity by an incremental build, equals a full build of both files; (c) loading the same file
or the same synthetic day again changes nothing. Each builds small real warehouses through Dagster and dbt.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from fit_tool.profile.profile_type import Manufacturer

from incremental.checksums import differences, table_checksums
from ingestion.files.importer import import_paths
from openfit.build import run_build
from openfit.settings import Settings, get_settings
from orchestration.incremental import STATE_SCHEMA

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingestion" / "files"))
import fit_samples as samples  # noqa: E402  (the FIT generators of tests/ingestion/files)

pytestmark = pytest.mark.slow

END = date(2026, 3, 31)
DAYS = 14


def _settings(monkeypatch, home: Path, **env: str) -> Settings:
    monkeypatch.setenv("OPENFIT_HOME", str(home))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    return get_settings()


def _synthetic(monkeypatch, home: Path, days: int, end: date) -> Settings:
    return _settings(
        monkeypatch,
        home,
        OPENFIT_SYNTHETIC_ATHLETES="1",
        OPENFIT_SYNTHETIC_DAYS=str(days),
        OPENFIT_SYNTHETIC_SEED="7",
        OPENFIT_SYNTHETIC_END_DATE=end.isoformat(),
    )


def _build(settings: Settings, **kwargs) -> None:
    report = run_build(settings, **kwargs)
    assert report.success, report.failure


def _last_build(settings: Settings) -> tuple[str, int, int]:
    """(kind, changed activities, changed metric windows) of the warehouse's last transform."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        seq, kind = con.execute(
            f"select seq, kind from {STATE_SCHEMA}.builds order by seq desc limit 1"
        ).fetchone()
        activities = con.execute(
            f"select count(*) from {STATE_SCHEMA}.changed_activities where seq = ?", [seq]
        )
        activities = activities.fetchone()[0]
        windows = con.execute(
            f"select count(*) from {STATE_SCHEMA}.changed_metric_windows where seq = ?", [seq]
        )
        return kind, activities, windows.fetchone()[0]


def _publish_kind(settings: Settings) -> str:
    with duckdb.connect(str(settings.snapshot_path), read_only=True) as con:
        return con.execute("select publish_kind from meta.build_info").fetchone()[0]


@pytest.fixture(scope="module")
def base_home(tmp_path_factory) -> Path:
    """A home built in full with days 1..N-1 (copied by the tests that add day N)."""
    home = tmp_path_factory.mktemp("base") / "home"
    with pytest.MonkeyPatch.context() as monkeypatch:
        _build(_synthetic(monkeypatch, home, DAYS - 1, END - timedelta(days=1)))
    return home


@pytest.fixture(scope="module")
def full_build_checksums(tmp_path_factory) -> dict:
    """Checksums of a fresh full build of days 1..N: what every way of getting there must equal."""
    home = tmp_path_factory.mktemp("fresh") / "home"
    with pytest.MonkeyPatch.context() as monkeypatch:
        settings = _synthetic(monkeypatch, home, DAYS, END)
        _build(settings)
        checksums = table_checksums(settings.snapshot_path)
    assert checksums["openfit.activity_samples"][0] > 0 and checksums["openfit.metrics"][0] > 0
    return checksums


def _copy_of(base_home: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(base_home, home, ignore=shutil.ignore_patterns("*.lock"))
    return home


def test_new_day_incremental_equals_full_build(base_home, full_build_checksums, tmp_path, monkeypatch):
    settings = _synthetic(
        monkeypatch, _copy_of(base_home, tmp_path), DAYS, END
    )  # same first day, one day more
    assert _last_build(settings)[0] == "full"  # the base's first build
    _build(settings)
    kind, activities, windows = _last_build(settings)
    assert kind == "incremental"
    assert windows == 1  # one athlete's new day
    assert _publish_kind(settings) == "incremental"
    assert differences(table_checksums(settings.snapshot_path), full_build_checksums) == {}

    # the same day again: the synthetic source loads nothing new, and nothing changes
    _build(settings)
    assert _last_build(settings) == ("incremental", 0, 0)
    assert differences(table_checksums(settings.snapshot_path), full_build_checksums) == {}

    # `openfit build --full` on the incremental home: the same tables again
    _build(settings, full=True)
    assert _last_build(settings)[0] == "full"
    assert _publish_kind(settings) == "full"
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
    from openfit.publish import publish_snapshot

    settings = _synthetic(monkeypatch, _copy_of(base_home, tmp_path), DAYS, END)
    stop_file, progress_file = tmp_path / "stop", tmp_path / "progress"
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(settings.snapshot_path), str(stop_file), str(progress_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    publishes = 0
    try:
        _build(settings)  # the new day: an incremental transform and publish
        assert _publish_kind(settings) == "incremental"
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
    from openfit.build import run_build
    from openfit.settings import get_settings
    report = run_build(get_settings(), on_progress=lambda stage, message: print(stage, message, flush=True))
    print("finished", report.success, flush=True)
    """
)


@pytest.mark.parametrize("stage", ["transform", "publish"])
def test_sigkill_mid_increment_keeps_the_old_snapshot_and_the_next_run_catches_up(
    stage, base_home, full_build_checksums, tmp_path, monkeypatch
):
    home = _copy_of(base_home, tmp_path)
    settings = _synthetic(monkeypatch, home, DAYS - 1, END - timedelta(days=1))
    before = table_checksums(settings.snapshot_path)
    settings = _synthetic(monkeypatch, home, DAYS, END)
    build = subprocess.Popen(
        [sys.executable, "-c", _KILLABLE_BUILD], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    temp_snapshots = settings.serving_dir.glob  # the publish writes the new snapshot beside the old one
    killed = False
    for line in build.stdout:
        if stage == "transform" and line.startswith("transform openfit_dbt: started"):
            time.sleep(1.5)  # inside dbt: some models written, others not
            build.send_signal(signal.SIGKILL)
            killed = True
            break
        if stage == "publish" and line.startswith("publish") and line.rstrip().endswith("started"):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not list(temp_snapshots(".snapshot-*.duckdb.tmp")):
                time.sleep(0.001)
            build.send_signal(signal.SIGKILL)
            killed = True
            break
    build.wait(timeout=120)
    assert killed and build.returncode == -signal.SIGKILL
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:  # it really stopped mid-way
        if stage == "transform":
            assert con.execute(f"select count(*) from {STATE_SCHEMA}.transform_started").fetchone()[0] == 1
    assert differences(table_checksums(settings.snapshot_path), before) == {}  # the old snapshot, readable

    _build(settings)  # the next run: after a killed transform it rebuilds in full; after a killed publish the
    assert (
        differences(table_checksums(settings.snapshot_path), full_build_checksums) == {}
    )  # transform was done
    assert not list(settings.serving_dir.glob(".snapshot-*.duckdb.tmp*"))


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _small_home(monkeypatch, home: Path) -> Settings:
    """A home with a week of one synthetic athlete (every home has the demo cohort) for the files to join."""
    return _synthetic(monkeypatch, home, 7, END)


def _second_file_incrementally_and_in_full(
    tmp_path, monkeypatch, first: Path, second: Path
) -> tuple[Settings, dict]:
    """A small home built, then `first` imported and transformed, then `second` (each an incremental build),
    checked equal to a fresh home that loads the same files in the same order (the first-loaded file anchors the
    activity id) and builds once in full. Returns the incremental home's settings and its checksums."""
    from orchestration.defs import TRANSFORM_JOB

    settings = _small_home(monkeypatch, tmp_path / "incremental")
    _build(settings)
    assert import_paths([first], settings).imported == 1
    _build(settings, job_name=TRANSFORM_JOB)
    assert _last_build(settings)[:2] == ("incremental", 1)
    assert import_paths([second], settings).imported == 1
    _build(settings, job_name=TRANSFORM_JOB)
    kind, activities, _ = _last_build(settings)
    assert kind == "incremental" and activities >= 1
    incremental = table_checksums(settings.snapshot_path)

    fresh_settings = _small_home(monkeypatch, tmp_path / "fresh")
    assert import_paths([first], fresh_settings).imported == 1
    assert import_paths([second], fresh_settings).imported == 1
    _build(fresh_settings)
    assert _last_build(fresh_settings)[0] == "full"
    assert differences(incremental, table_checksums(fresh_settings.snapshot_path)) == {}
    return _small_home(monkeypatch, tmp_path / "incremental"), incremental


def test_fit_file_merging_into_an_activity_incremental_equals_full(tmp_path, monkeypatch):
    from orchestration.defs import TRANSFORM_JOB

    watch = _write(
        tmp_path / "in" / "watch.fit",
        samples.activity(n=600, manufacturer=Manufacturer.GARMIN.value, serial=111),
    )
    bike = _write(
        tmp_path / "in" / "bike.fit",
        samples.activity(n=590, manufacturer=Manufacturer.WAHOO_FITNESS.value, serial=222),
    )

    settings, incremental = _second_file_incrementally_and_in_full(tmp_path, monkeypatch, watch, bike)
    with duckdb.connect(str(settings.snapshot_path), read_only=True) as con:
        recordings, canonical = con.execute(
            "select count(*), count(distinct activity_id) from openfit.activity_recordings where source = 'files'"
        ).fetchone()
    assert (recordings, canonical) == (2, 1)  # the bike's file merged into the watch's activity

    # the same file again (another name, same bytes): a duplicate, and a build changes nothing
    again = _write(tmp_path / "in2" / "bike-copy.fit", bike.read_bytes())
    summary = import_paths([again], settings)
    assert summary.imported == 0 and summary.duplicate == 1
    _build(settings, job_name=TRANSFORM_JOB)
    assert _last_build(settings) == ("incremental", 0, 0)
    assert differences(table_checksums(settings.snapshot_path), incremental) == {}


def test_the_same_workout_saved_twice_by_one_device_is_one_activity_with_one_timeline(tmp_path, monkeypatch):
    """Issue 13, point 1: two overlapping files of one device (a summary and a detailed file, or one activity
    exported twice with different bytes) are one activity; the more complete file gives the samples and totals,
    the other stays linked; incrementally as in a full build (which failed before: duplicate (activity_id, ts)
    samples)."""
    detailed = _write(
        tmp_path / "in" / "run.fit",
        samples.activity(n=600, manufacturer=Manufacturer.GARMIN.value, serial=111),
    )
    shorter = _write(
        tmp_path / "in" / "run-export.fit",
        samples.activity(n=590, manufacturer=Manufacturer.GARMIN.value, serial=111),
    )

    settings, _ = _second_file_incrementally_and_in_full(tmp_path, monkeypatch, shorter, detailed)
    with duckdb.connect(str(settings.snapshot_path), read_only=True) as con:
        recordings = con.execute(
            "select activity_id, recording_role from openfit.activity_recordings where source = 'files' order by 2"
        ).fetchall()
        assert len(recordings) == 2 and len({r[0] for r in recordings}) == 1  # one activity, both linked
        activity_id = recordings[0][0]
        samples_count, distinct_ts = con.execute(
            "select count(*), count(distinct ts) from openfit.activity_samples where activity_id = ?",
            [activity_id],
        ).fetchone()
        duration = con.execute(
            "select duration_s from openfit.activities where activity_id = ?", [activity_id]
        ).fetchone()[0]
    assert samples_count == distinct_ts == 600  # the detailed file's timeline, once
    assert 590 < duration <= 600  # its totals, not the sum of both files
