"""The inbox sensor: a new or changed file in $OPENFIT_HOME/inbox requests one run; an unchanged inbox none."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg
import pytest

from openfit.settings import get_settings
from orchestration.defs.files import INBOX_JOB, build_inbox_sensor, inbox_fingerprint, inbox_job


def _tick(sensor: dg.SensorDefinition, cursor: str | None):
    context = dg.build_sensor_context(cursor=cursor)
    result = sensor(context)
    return result, context.cursor


def test_new_file_requests_a_run_and_an_unchanged_inbox_does_not(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "home"))
    settings = get_settings()
    settings.ensure_dirs()
    sensor = build_inbox_sensor(inbox_job())
    assert sensor.job_name == INBOX_JOB

    result, cursor = _tick(sensor, None)
    assert isinstance(result, dg.SkipReason)  # empty inbox
    assert cursor is None

    (settings.inbox_dir / "run.fit").write_bytes(b"not decoded by the sensor, only noticed")
    result, cursor = _tick(sensor, None)
    assert isinstance(result, dg.RunRequest)
    assert cursor == inbox_fingerprint(settings.inbox_dir) != ""
    first_key = result.run_key

    result, same_cursor = _tick(sensor, cursor)
    assert isinstance(result, dg.SkipReason)
    assert same_cursor == cursor

    nested = settings.inbox_dir / "garmin"
    nested.mkdir()
    (nested / "export.zip").write_bytes(b"PK")
    result, newer = _tick(sensor, cursor)
    assert isinstance(result, dg.RunRequest)
    assert newer != cursor and result.run_key != first_key


def test_a_rewritten_file_changes_the_fingerprint_and_dotfiles_are_ignored(tmp_path):
    inbox = tmp_path / "inbox"
    assert inbox_fingerprint(inbox) == ""  # missing folder
    inbox.mkdir()
    (inbox / ".partial-upload").write_bytes(b"x")
    assert inbox_fingerprint(inbox) == ""
    path = inbox / "ride.gpx"
    path.write_bytes(b"<gpx/>")
    before = inbox_fingerprint(inbox)
    path.write_bytes(b"<gpx></gpx>")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert inbox_fingerprint(inbox) not in ("", before)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_inbox_job_imports_the_dropped_files_and_publishes_them(warehouse_copy):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "files"))
    import fit_samples as samples  # the FIT generators of tests/ingestion/files

    from orchestration.defs import build_definitions
    from orchestration.instance import prepare_instance
    from query.snapshot import snapshot_connection

    # The inbox job refreshes no other provider, so it runs on a home that was built once (a copy of the
    # session's home, with its synthetic cohort).
    settings = warehouse_copy
    settings.ensure_dirs()
    (settings.inbox_dir / "dropped.fit").write_bytes(samples.activity(n=60))
    prepare_instance(settings)

    job = build_definitions().resolve_job_def(INBOX_JOB)
    result = job.execute_in_process(instance=dg.DagsterInstance.get(), raise_on_error=False)
    assert result.success
    steps = [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]
    assert steps.index("raw_files") < steps.index("openfit_dbt")  # the import runs before dbt reads it
    assert not any(step.startswith("raw_synthetic") for step in steps)  # other extracts are left out
    with snapshot_connection(settings) as con:
        recordings = con.execute(
            "select r.recording_id, count(s.ts) from openfit.activity_recordings r "
            "join openfit.activity_samples s using (activity_id) where r.source = 'files' group by all"
        ).fetchall()
        logged = con.execute("select original_name, status from openfit.file_imports").fetchall()
    assert len(recordings) == 1 and recordings[0][1] == 60
    assert logged == [(str(settings.inbox_dir / "dropped.fit"), "imported")]
