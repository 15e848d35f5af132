"""An incremental build gives the same published tables as a full one, for imported files.

(b) a second FIT file of the same run from another device, merged into the existing activity by an incremental
build, equals a full build of both files; (c) importing the same file again changes nothing. Two overlapping
files of one device: test_same_device_copies.py (its own file, so the two test workers share the slow builds). Each builds small real warehouses through Dagster and dbt.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest
from fit_tool.profile.profile_type import Manufacturer

from incremental.builds import build, last_build, second_file_incrementally_and_in_full, write_file
from incremental.checksums import differences, table_checksums
from ingestion.files.importer import import_paths

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingestion" / "files"))
import fit_samples as samples  # noqa: E402  (the FIT generators of tests/ingestion/files)

pytestmark = pytest.mark.slow


def test_fit_file_merging_into_an_activity_incremental_equals_full(fixture_warehouse, tmp_path, monkeypatch):
    from orchestration.defs import TRANSFORM_JOB

    watch = write_file(
        tmp_path / "in" / "watch.fit",
        samples.activity(n=600, manufacturer=Manufacturer.GARMIN.value, serial=111),
    )
    bike = write_file(
        tmp_path / "in" / "bike.fit",
        samples.activity(n=590, manufacturer=Manufacturer.WAHOO_FITNESS.value, serial=222),
    )

    settings, incremental = second_file_incrementally_and_in_full(
        tmp_path, monkeypatch, fixture_warehouse, watch, bike
    )
    with duckdb.connect(str(settings.snapshot_path), read_only=True) as con:
        recordings, canonical = con.execute(
            "select count(*), count(distinct activity_id) from openfit.activity_recordings where source = 'files'"
        ).fetchone()
    assert (recordings, canonical) == (2, 1)  # the bike's file merged into the watch's activity

    # the same file again (another name, same bytes): a duplicate, and a build changes nothing
    again = write_file(tmp_path / "in2" / "bike-copy.fit", bike.read_bytes())
    summary = import_paths([again], settings)
    assert summary.imported == 0 and summary.duplicate == 1
    build(settings, job_name=TRANSFORM_JOB)
    assert last_build(settings) == ("incremental", 0, 0)
    assert differences(table_checksums(settings.snapshot_path), incremental) == {}
