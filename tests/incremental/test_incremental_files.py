"""An incremental build gives the same published tables as a full one, for imported files.

(b) a second FIT file of the same run from another device, merged into the existing activity by an incremental
build, equals a full build of both files, and so do two overlapping files of one device; (c) importing the same
file again changes nothing. Each builds small real warehouses through Dagster and dbt.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest
from fit_tool.profile.profile_type import Manufacturer

from incremental.builds import END, build, last_build, synthetic_home
from incremental.checksums import differences, table_checksums
from ingestion.files.importer import import_paths
from openfit.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingestion" / "files"))
import fit_samples as samples  # noqa: E402  (the FIT generators of tests/ingestion/files)

pytestmark = pytest.mark.slow


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _small_home(monkeypatch, home: Path) -> Settings:
    """A home with a week of one synthetic athlete (every home has the demo cohort) for the files to join."""
    return synthetic_home(monkeypatch, home, 7, END)


def _second_file_incrementally_and_in_full(
    tmp_path, monkeypatch, first: Path, second: Path
) -> tuple[Settings, dict]:
    """A small home built, then `first` imported and transformed, then `second` (each an incremental build),
    checked equal to a fresh home that loads the same files in the same order (the first-loaded file anchors the
    activity id) and builds once in full. Returns the incremental home's settings and its checksums."""
    from orchestration.defs import TRANSFORM_JOB

    settings = _small_home(monkeypatch, tmp_path / "incremental")
    build(settings)
    assert import_paths([first], settings).imported == 1
    build(settings, job_name=TRANSFORM_JOB)
    assert last_build(settings)[:2] == ("incremental", 1)
    assert import_paths([second], settings).imported == 1
    build(settings, job_name=TRANSFORM_JOB)
    kind, activities, _ = last_build(settings)
    assert kind == "incremental" and activities >= 1
    incremental = table_checksums(settings.snapshot_path)

    fresh_settings = _small_home(monkeypatch, tmp_path / "fresh")
    assert import_paths([first], fresh_settings).imported == 1
    assert import_paths([second], fresh_settings).imported == 1
    build(fresh_settings)
    assert last_build(fresh_settings)[0] == "full"
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
    build(settings, job_name=TRANSFORM_JOB)
    assert last_build(settings) == ("incremental", 0, 0)
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
