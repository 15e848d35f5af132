"""The inbox sensor: a new or changed file in $OPENFIT_HOME/inbox requests one run; an unchanged inbox none."""

from __future__ import annotations

import os

import dagster as dg

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
