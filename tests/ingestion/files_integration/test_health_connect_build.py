"""Health Connect end to end: a generated export zip imported with `openfit import` and built lands in the OpenFit
tables with the right units, local dates and devices (one per app and device; the phone app's steps and the
watch's counted once a day); a newer export of the same store adds only what is new, an edited weight replaces
the old value, and the same store exported again is a duplicate."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "files"))
from health_connect_samples import ExportSpec, write_export_zip  # noqa: E402  (the writer of tests/ingestion/files)

from openfit.settings import get_settings

COHORT = {
    "OPENFIT_SYNTHETIC_ATHLETES": "1",
    "OPENFIT_SYNTHETIC_DAYS": "7",
    "OPENFIT_SYNTHETIC_SEED": "3",
    "OPENFIT_SYNTHETIC_END_DATE": "2024-03-10",
}
EDITED_DAY = date(2024, 3, 6)  # a weigh-in day (every other day from 4 March)


def _snapshot(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.snapshot_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _raw(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _openfit(*args: str) -> subprocess.CompletedProcess:
    """The CLI as a user runs it, in its own process."""
    openfit = Path(sys.executable).with_name("openfit")
    return subprocess.run([str(openfit), *args], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("health_connect_e2e")
    first = write_export_zip(root / "Health Connect.zip", ExportSpec(days=5, end_date=date(2024, 3, 8)))
    newer = write_export_zip(root / "hc-export-2.zip", ExportSpec(days=7, edited_weights={EDITED_DAY: 68.4}))
    again = write_export_zip(
        root / "hc-export-3.zip", ExportSpec(days=7, edited_weights={EDITED_DAY: 68.4}, locale="de_DE")
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENFIT_HOME", str(root / "home"))
        for key, value in COHORT.items():
            patch.setenv(key, value)
        get_settings.cache_clear()
        settings = get_settings()
        # `openfit import` builds and publishes after the import (no `openfit build` needed; a second build would
        # find nothing new)
        imported = _openfit("import", str(first))
        assert imported.returncode == 0, imported.stdout + imported.stderr
        before = {
            "weights": _snapshot(
                settings, "select ts, value from openfit.metrics where metric = 'weight' and source = 'files'"
            ),
        }
        # the newer export without a build, then the same store exported again with one: a single incremental
        # transform publishes the newer records and the edit (the third import is only a duplicate)
        imported = _openfit("import", "--no-build", str(newer))
        assert imported.returncode == 0, imported.stdout[-3000:] + imported.stderr[-3000:]
        imported = _openfit("import", str(again))
        assert imported.returncode == 0, imported.stdout[-3000:] + imported.stderr[-3000:]
        yield settings, before
    get_settings.cache_clear()


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_records_reach_the_openfit_tables_with_units_local_dates_and_devices(built):
    settings, _ = built
    devices = _snapshot(
        settings, "select device_type, vendor, model from openfit.devices where source = 'files' order by 1"
    )
    assert devices == [
        ("phone", "google", "Pixel 8"),
        ("scale", "withings", "Body+"),
        ("watch", "samsung", "Galaxy Watch6"),
    ]
    metrics = {
        row[0]: row[1:]
        for row in _snapshot(
            settings,
            "select metric, any_value(unit), count(*), min(ts), count(distinct device_id) from openfit.metrics "
            "where source = 'files' group by metric",
        )
    }
    days, runs = 7, 3  # 4..10 March; runs on the 5th, 7th and 9th
    assert metrics["heart_rate"][:2] == ("bpm", days * 24 * 12 + runs * (360 - 7))
    first_beat = metrics["heart_rate"][2].astimezone(UTC)
    assert (first_beat.date(), first_beat.hour) == (date(2024, 3, 3), 23)  # 00:00 on 4 March at UTC+1
    assert metrics["hrv_rmssd"][:2] == ("ms", days)  # RMSSD: its own metric, not Apple's SDNN
    assert metrics["spo2"][:2] == ("%", days)
    assert metrics["resting_heart_rate"][:2] == ("bpm", days)
    assert metrics["weight"][:2] == ("kg", 4)  # grams in the store
    assert metrics["body_fat"][0] == "%"

    daily = _snapshot(
        settings,
        "select date, steps, steps_source, resting_hr, hrv_rmssd_ms, sleep_s from openfit.wellness_daily "
        "where athlete_id = 'files:owner' order by 1",
    )
    assert [row[0] for row in daily] == [date(2024, 3, d) for d in range(4, 11)]
    by_source = _snapshot(
        settings,
        "select w.date, d.device_type, w.steps from openfit.wellness_daily_by_source w "
        "join openfit.devices d using (device_id) where w.source = 'files' and w.steps is not null order by 1, 2",
    )
    watch_steps = {day: steps for day, kind, steps in by_source if kind == "watch"}
    phone_steps = {day: steps for day, kind, steps in by_source if kind == "phone"}
    for day, steps, chosen, resting_hr, hrv, sleep_s in daily:
        assert steps == watch_steps[day] and phone_steps[day] > 0  # the walk counted once, the watch's
        assert chosen.startswith("files:hc:")
        assert 40 <= resting_hr <= 60 and 30 <= hrv <= 75
        assert sleep_s == 8 * 3600 - 2 * 1800  # the night less its two awake half-hours

    nights = _snapshot(
        settings,
        "select local_date, utc_offset_s, deep_s, rem_s, awake_s, hrv_rmssd_ms is not null, "
        "respiration_rate between 12 and 17, lowest_hr from openfit.sleep_sessions where source = 'files' order by 1",
    )
    assert [n[0] for n in nights] == [date(2024, 3, d) for d in range(4, 11)]  # the date one wakes up
    assert all(n[1:7] == (3600, 2 * 1800, 4 * 1800, 2 * 1800, True, True) for n in nights)
    assert all(40 <= n[7] <= 70 for n in nights)
    stages = {s[0] for s in _snapshot(settings, "select distinct stage from openfit.sleep_stages")}
    assert {"deep", "light", "rem", "awake"} <= stages


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_newer_export_adds_only_new_records_and_an_edit_replaces_the_old_value(built):
    settings, before = built
    uuids, rows = _raw(
        settings, "select count(distinct uuid), count(*) from raw_files.health_connect_record"
    )[0]
    assert rows == uuids + 1  # every record once, and the edited weight's new version beside the old one
    logged = _raw(
        settings,
        "select original_name, status, counts from raw_files.file_imports where format = 'health_connect' "
        "order by imported_at",
    )
    assert [(name, status) for name, status, _ in logged] == [
        ("health_connect_export.db", "imported"),
        ("health_connect_export.db", "imported"),
        ("health_connect_export.db", "duplicate"),
    ]
    assert (
        json.loads(logged[1][2])["record"] < json.loads(logged[0][2])["record"]
    )  # two new days and the edit
    weights = _snapshot(
        settings,
        "select ts, value from openfit.metrics where metric = 'weight' and source = 'files' order by ts",
    )
    assert [value for ts, value in weights if ts.date() == EDITED_DAY] == [68.4]
    old = [value for ts, value in before["weights"] if ts.date() == EDITED_DAY]
    assert len(old) == 1 and old != [68.4]


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_exercise_sessions_become_activities_with_route_heart_rate_and_laps(built):
    settings, _ = built
    recordings = _snapshot(
        settings,
        "select recording_id, sport, local_date, duration_s, distance_m, has_gps, avg_hr between 135 and 165, "
        "utc_offset_s from openfit.activity_recordings where source = 'files' order by local_date",
    )
    assert [r[1:] for r in recordings] == [
        ("running", date(2024, 3, day), 1800, 5100.0, True, True, 3600) for day in (5, 7, 9)
    ]
    assert all(r[0].startswith("files:hc:") for r in recordings)
    samples = _snapshot(
        settings,
        "select r.recording_id, count(*), count(s.lat), count(s.heart_rate) from openfit.activity_recordings r "
        "join openfit.activity_samples s using (activity_id) where r.source = 'files' group by 1 order by 1",
    )
    assert [s[1:] for s in samples] == [(540, 180, 360)] * 3  # route every 10 s, heart rate every 5 s
    laps = _snapshot(
        settings,
        "select count(*), min(l.distance_m) >= 1000 from openfit.laps l join openfit.activity_recordings r "
        "using (activity_id) where r.source = 'files' and r.recording_role = 'primary'",
    )
    assert laps == [(9, True)]
