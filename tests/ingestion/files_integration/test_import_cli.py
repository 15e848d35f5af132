"""`openfit import` end to end on a fresh home: generated FIT/GPX/TCX files and export archives go through the
CLI, the build publishes them, and the snapshot holds source 'files' recordings with samples, the import log
and the quarantine. Re-import is a no-op; a corrupt file exits 3 and is reported with its reason."""

from __future__ import annotations

import gzip
import io
import json
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "files"))
import fit_samples as samples  # noqa: E402  (the FIT generators of tests/ingestion/files)

from cli import app  # noqa: E402
from openfit.settings import Settings, get_settings  # noqa: E402
from query.file_imports import format_report, quarantine_report  # noqa: E402
from query.snapshot import snapshot_connection  # noqa: E402

GPX = b"""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"
     xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
  <trk><name>Lunch walk</name><trkseg>
    <trkpt lat="46.05" lon="14.50"><ele>300</ele><time>2024-05-03T12:00:00Z</time>
      <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>100</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>
    <trkpt lat="46.0502" lon="14.5003"><ele>301</ele><time>2024-05-03T12:00:01Z</time>
      <extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>102</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>
    <trkpt lat="46.0504" lon="14.5006"><ele>302</ele><time>2024-05-03T12:00:02Z</time></trkpt>
    <trkpt lat="46.0506" lon="14.5009"><ele>303</ele></trkpt>
  </trkseg></trk>
</gpx>"""

TCX = b"""<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">
  <Activities><Activity Sport="Running"><Id>2024-05-04T07:00:00Z</Id>
    <Lap StartTime="2024-05-04T07:00:00Z"><TotalTimeSeconds>2</TotalTimeSeconds><DistanceMeters>6</DistanceMeters>
      <Calories>1</Calories><Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod>
      <Track>
        <Trackpoint><Time>2024-05-04T07:00:00Z</Time><Position><LatitudeDegrees>46.1</LatitudeDegrees>
          <LongitudeDegrees>14.6</LongitudeDegrees></Position><DistanceMeters>0</DistanceMeters>
          <HeartRateBpm><Value>130</Value></HeartRateBpm></Trackpoint>
        <Trackpoint><Time>2024-05-04T07:00:01Z</Time><Position><LatitudeDegrees>46.10003</LatitudeDegrees>
          <LongitudeDegrees>14.6</LongitudeDegrees></Position><DistanceMeters>3</DistanceMeters>
          <HeartRateBpm><Value>131</Value></HeartRateBpm></Trackpoint>
        <Trackpoint><Time>2024-05-04T07:00:02Z</Time><Position><LatitudeDegrees>46.10006</LatitudeDegrees>
          <LongitudeDegrees>14.6</LongitudeDegrees></Position><DistanceMeters>6</DistanceMeters></Trackpoint>
      </Track></Lap>
  </Activity></Activities>
</TrainingCenterDatabase>"""

STRAVA_CSV = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Commute,"
    "Activity Gear,Filename\n"
    '111,"May 1, 2024",Morning Run,Run,,600,false,Pegasus 40,activities/111.fit.gz\n'
    '222,"May 2, 2024",To work,Ride,,900,true,Commuter,activities/222.fit\n'
)

# A small synthetic cohort: every build also refreshes the demo provider.
COHORT = {
    "OPENFIT_SYNTHETIC_ATHLETES": "1",
    "OPENFIT_SYNTHETIC_DAYS": "7",
    "OPENFIT_SYNTHETIC_SEED": "3",
    "OPENFIT_SYNTHETIC_END_DATE": "2024-05-10",
}


HOUR = 3_600


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _make_inputs(root: Path) -> tuple[Path, Path]:
    """good/: files and archives that import; bad/: one non-fitness file posing as GPX."""
    good, bad = root / "good", root / "bad"
    (good / "2024").mkdir(parents=True)
    bad.mkdir()
    (good / "2024" / "run.fit").write_bytes(samples.activity(n=90, developer_field=True, hrv=True))
    # Workouts hours apart, so the merge keeps them apart (files starting together are one workout).
    (good / "multi.fit").write_bytes(samples.multisport(n_each=40, start_offset_s=2 * HOUR))
    (good / "sleep.fit").write_bytes(samples.sleep_night())
    (good / "walk.gpx").write_bytes(GPX)
    (good / "run.tcx.gz").write_bytes(gzip.compress(TCX))
    (good / "strava_export.zip").write_bytes(
        _zip(
            {
                "activities.csv": STRAVA_CSV.encode(),
                "activities/111.fit.gz": gzip.compress(
                    samples.compressed_timestamps(n=30, start_offset_s=4 * HOUR)[0]
                ),
                "activities/222.fit": samples.zero_header_crc_activity(n=20, start_offset_s=6 * HOUR),
            }
        )
    )
    uploads = _zip({"garmin_ACTIVITY.fit": samples.activity(n=45)})
    (good / "garmin_export.zip").write_bytes(
        _zip({"DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": uploads})
    )
    (bad / "photo.gpx").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    return good, bad


def _raw_counts(settings: Settings) -> dict[str, int]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw_files' "
                "and table_name not like '_dlt%' order by 1"
            ).fetchall()
        ]
        return {t: con.execute(f'select count(*) from raw_files."{t}"').fetchone()[0] for t in tables}


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """One fresh home: `openfit import good/ bad/` (with the build), then the checks read it."""
    root = tmp_path_factory.mktemp("files_e2e")
    good, bad = _make_inputs(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENFIT_HOME", str(root / "home"))
        for key, value in COHORT.items():
            patch.setenv(key, value)
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["import", str(good), str(bad)])
        yield {"result": result, "good": good, "bad": bad, "home": root / "home", "patch": patch}
    get_settings.cache_clear()


@pytest.fixture
def settings(imported, monkeypatch) -> Settings:
    monkeypatch.setenv("OPENFIT_HOME", str(imported["home"]))
    for key, value in COHORT.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    return get_settings()


def _snapshot_rows(settings: Settings, sql: str, params=None) -> list[tuple]:
    with snapshot_connection(settings) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.mark.slow
def test_import_with_a_corrupt_file_exits_3_and_publishes_the_good_ones(imported, settings):
    result = imported["result"]
    assert result.exit_code == 3, result.output
    assert "quarantined" in result.output and "published" in result.output

    recordings = _snapshot_rows(
        settings,
        "select recording_id, sport, start_time, duration_s from openfit.activity_recordings "
        "where source = 'files' order by start_time",
    )
    # run.fit 1 + multi.fit 2 sessions + walk.gpx 1 + run.tcx 1 + Strava 2 + Garmin 1
    assert len(recordings) == 8
    assert all(r[0].count(":") == 2 and r[0].startswith("files:") for r in recordings)  # files:<sha>:<index>

    samples_per_recording = dict(
        _snapshot_rows(
            settings,
            "select r.recording_id, count(s.ts) from openfit.activity_recordings r "
            "join openfit.activity_samples s using (activity_id) "
            "where r.source = 'files' and r.recording_role = 'primary' group by all",
        )
    )
    assert samples_per_recording and all(count > 0 for count in samples_per_recording.values())
    walk = _snapshot_rows(
        settings,
        "select count(*), max(s.heart_rate) from openfit.activity_recordings r "
        "join openfit.activity_samples s using (activity_id) where r.source = 'files' "
        "and r.start_time = timestamptz '2024-05-03 12:00:00+00'",
    )
    assert walk == [(3, 102)]  # the point without a time is not a sample


@pytest.mark.slow
def test_gpx_points_without_time_are_raw_only_and_the_file_is_partial(imported, settings):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        raw = con.execute(
            'select count(*), count("timestamp"), min("timestamp") from raw_files.gpx_record'
        ).fetchone()
    assert raw[0] == 4 and raw[1] == 3 and raw[2].year == 2024  # NULL kept raw, no placeholder date
    rows = _snapshot_rows(
        settings,
        "select status, reason, nulled from openfit.file_imports where original_name like '%walk.gpx'",
    )
    assert [(r[0], r[1], json.loads(r[2])) for r in rows] == [
        (
            "partial",
            "1 of 4 track points without time (kept raw, not used as samples)",
            {"timestamp_missing": 1},
        )
    ]


@pytest.mark.slow
def test_multisport_sessions_are_separate_recordings_of_one_file(imported, settings):
    rows = _snapshot_rows(
        settings,
        "select split_part(recording_id, ':', 2) as sha, count(*), count(distinct sport) "
        "from openfit.activity_recordings where source = 'files' group by sha having count(*) > 1",
    )
    assert len(rows) == 1 and rows[0][1] == 2 and rows[0][2] == 2
    sha = rows[0][0]
    groups = _snapshot_rows(
        settings,
        "select distinct r.multisport_group_id, a.multisport_group_id from openfit.activity_recordings r "
        "join openfit.activities a using (activity_id) where split_part(r.recording_id, ':', 2) = ?",
        [sha],
    )
    assert groups == [(f"files:{sha}", f"files:{sha}")]  # both legs, and both activities, name the event
    singles = _snapshot_rows(
        settings,
        "select count(*) from openfit.activity_recordings where source = 'files' "
        "and split_part(recording_id, ':', 2) <> ? and multisport_group_id is not null",
        [sha],
    )
    assert singles == [(0,)]


@pytest.mark.slow
def test_export_metadata_reaches_the_snapshot(imported, settings):
    names = {r[0] for r in _snapshot_rows(
        settings, "select name from openfit.activity_recordings where source = 'files'")}  # fmt: skip
    assert {"Morning Run", "To work"} <= names
    labels = {
        r[0]: r[1:]
        for r in _snapshot_rows(
            settings,
            "select r.name, r.gear, r.commute, a.name, a.gear, a.commute from openfit.activity_recordings r "
            "join openfit.activities a using (activity_id) where r.source = 'files'",
        )
    }
    assert labels["Morning Run"] == ("Pegasus 40", False, "Morning Run", "Pegasus 40", False)
    assert labels["To work"] == ("Commuter", True, "To work", "Commuter", True)
    # files outside a Strava export have no gear or commute flag (null, not false)
    assert all(
        v[0] is None and v[1] is None for k, v in labels.items() if k not in ("Morning Run", "To work")
    )
    metadata = [
        json.loads(r[0])
        for r in _snapshot_rows(
            settings, "select metadata from openfit.file_imports where metadata like '%strava_gear%'"
        )
    ]
    by_name = {m["strava_name"]: m for m in metadata}
    assert by_name["Morning Run"]["strava_gear"] == "Pegasus 40"
    assert by_name["To work"]["strava_commute"] is True
    archives = {r[0] for r in _snapshot_rows(settings, "select source_archive from openfit.file_imports")}
    assert any(a and "garmin_export.zip" in a for a in archives)


@pytest.mark.slow
def test_rr_intervals_are_metrics_timed_from_the_session_start(imported, settings):
    rows = _snapshot_rows(
        settings,
        "select ts, value, unit from openfit.metrics where source = 'files' and metric = 'rr_interval' order by ts",
    )
    # run.fit: 12 intervals 0.80, 0.81, ... 0.91 s, back to back from the session start (2024-05-01 06:00)
    expected_ms = [800.0 + 10 * i for i in range(12)]
    assert [round(r[1], 3) for r in rows] == expected_ms and {r[2] for r in rows} == {"ms"}
    start = samples.START.timestamp()
    offsets = [round(r[0].timestamp() - start, 3) for r in rows]
    assert offsets == [round(sum(expected_ms[: i + 1]) / 1000, 3) for i in range(12)]


@pytest.mark.slow
def test_sleep_levels_become_a_files_sleep_session_with_stages(imported, settings):
    sessions = _snapshot_rows(
        settings,
        "select sleep_id, start_time, end_time, deep_s, light_s, rem_s, awake_s, score, hrv_rmssd_ms, local_date "
        "from openfit.sleep_sessions where source = 'files'",
    )
    assert len(sessions) == 1
    sleep_id, start, end, deep_s, light_s, rem_s, awake_s, score, hrv, local_date = sessions[0]
    assert sleep_id.startswith("files:") and start == samples.SLEEP_START
    minutes = sum(m for _, m in samples.SLEEP_NIGHT)  # 85 one-minute levels, the last lasting one step
    assert (end - start).total_seconds() == minutes * 60
    assert (deep_s, light_s, rem_s, awake_s) == (30 * 60, 35 * 60, 10 * 60, 8 * 60)  # 2 unmeasurable min
    assert score == 82 and hrv == 47.5 and str(local_date) == "2024-05-01"
    stages = _snapshot_rows(
        settings,
        "select stage, round(duration_s / 60) from openfit.sleep_stages where sleep_id = ? order by start_time",
        [sleep_id],
    )
    assert stages == [("awake", 5), ("light", 20), ("deep", 30), ("light", 15), ("rem", 10), ("awake", 3)]
    readings = _snapshot_rows(
        settings,
        "select count(*), min(value) from openfit.metrics where source = 'files' and metric = 'hrv_rmssd'",
    )
    assert readings == [(minutes // 5, 40.0)]


@pytest.mark.slow
def test_quarantine_is_in_the_snapshot_and_the_status_report(imported, settings):
    rows = _snapshot_rows(
        settings, "select original_name, reason from openfit.file_imports where status = 'quarantined'"
    )
    assert len(rows) == 1 and rows[0][0].endswith("photo.gpx") and rows[0][1]
    report = quarantine_report(settings)
    assert report.files_by_status["quarantined"] == 1
    assert report.files_by_status["imported"] == 7 and report.files_by_status["partial"] == 1
    assert [q.original_name for q in report.quarantined] == [rows[0][0]]
    lines = format_report(report)
    assert any("photo.gpx" in line and rows[0][1] in line for line in lines)


@pytest.mark.slow
def test_reimport_reports_only_duplicates_and_changes_nothing(imported, settings):
    before = _raw_counts(settings)
    assert before["file_imports"] == 9 and before["fit_record"] > 0
    result = CliRunner().invoke(app, ["import", str(imported["good"]), "--no-build"])
    assert result.exit_code == 0, result.output
    assert _raw_counts(settings) == before
    lines = {line.split("│")[1].strip(): line.split("│")[2].strip()
             for line in result.output.splitlines() if line.count("│") == 3}  # fmt: skip
    assert lines["duplicate"] == "8" and lines["imported"] == "0" and lines["quarantined"] == "0"


def test_missing_path_is_a_failed_run(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(app, ["import", str(tmp_path / "nope"), "--no-build"])
    assert result.exit_code == 1
    assert "no such file or folder" in result.output


@pytest.mark.parametrize("arguments", [[""], ["  "], []], ids=["empty", "blank", "none"])
def test_an_empty_or_missing_path_is_a_usage_error_and_imports_nothing(arguments, tmp_path, monkeypatch):
    # Path("") is Path("."): without the check, `openfit import ""` walked the current folder.
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "home"))
    (tmp_path / "cwd").mkdir()
    (tmp_path / "cwd" / "run.fit").write_bytes(samples.activity(n=5))
    monkeypatch.chdir(tmp_path / "cwd")
    result = CliRunner().invoke(app, ["import", *arguments, "--no-build"])
    assert result.exit_code == 2, result.output
    assert not Settings().warehouse_path.exists()  # nothing was imported


@pytest.mark.slow
def test_the_published_file_import_log_matches_its_spec(imported, settings):
    """openfit.file_imports is part of the OpenFit spec: every published row validates against its JSON Schema."""
    import jsonschema

    from openfit.schema_spec import REPO_ROOT

    schema = json.loads((REPO_ROOT / "schema" / "openfit" / "file_imports.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    with snapshot_connection(settings) as con:
        cursor = con.execute("select * from openfit.file_imports")
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    statuses = {row["status"] for row in rows}
    assert {"imported", "quarantined"} <= statuses
    for row in rows:
        row["imported_at"] = row["imported_at"].isoformat()
        assert list(validator.iter_errors(row)) == [], row
