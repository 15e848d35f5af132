"""Two overlapping FIT files of one device (a summary and a detailed file, or one activity exported twice with
different bytes) are one activity with one timeline, incrementally as in a full build. Builds small real
warehouses through Dagster and dbt."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest
from fit_tool.profile.profile_type import Manufacturer

from incremental.builds import second_file_incrementally_and_in_full, write_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingestion" / "files"))
import fit_samples as samples  # noqa: E402  (the FIT generators of tests/ingestion/files)

pytestmark = pytest.mark.slow


def test_the_same_workout_saved_twice_by_one_device_is_one_activity_with_one_timeline(
    fixture_warehouse, tmp_path, monkeypatch
):
    """Two overlapping files of one device (a summary and a detailed file, or one activity
    exported twice with different bytes) are one activity; the more complete file gives the samples and totals,
    the other stays linked; incrementally as in a full build (which failed before: duplicate (activity_id, ts)
    samples)."""
    detailed = write_file(
        tmp_path / "in" / "run.fit",
        samples.activity(n=600, manufacturer=Manufacturer.GARMIN.value, serial=111),
    )
    shorter = write_file(
        tmp_path / "in" / "run-export.fit",
        samples.activity(n=590, manufacturer=Manufacturer.GARMIN.value, serial=111),
    )

    settings, _ = second_file_incrementally_and_in_full(
        tmp_path, monkeypatch, fixture_warehouse, shorter, detailed
    )
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
