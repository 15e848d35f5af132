"""Apple Health end to end: a generated export.zip imported and built lands in the OpenFit tables with the right
units, local dates and devices (phone and watch apart, steps counted once); a newer export of the same account
adds only what is new and an edited weight replaces the old value."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "files"))
from apple_health_samples import ExportSpec, write_export_zip  # noqa: E402  (the export writer of tests/ingestion/files)

from ingestion.files.importer import import_paths
from openfit.settings import get_settings

COHORT = {
    "OPENFIT_SYNTHETIC_ATHLETES": "1",
    "OPENFIT_SYNTHETIC_DAYS": "7",
    "OPENFIT_SYNTHETIC_SEED": "3",
    "OPENFIT_SYNTHETIC_END_DATE": "2024-03-10",
}
EDITED_DAY = date(2024, 3, 7)  # a weigh-in day (every third day from 4 March)


def _snapshot(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.snapshot_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _build() -> None:
    """`openfit build` as a user runs it after `openfit import`: in its own process, so the import and the
    incremental build that must find its rows (by dlt load id) share no in-process dlt configuration."""
    openfit = Path(sys.executable).with_name("openfit")
    subprocess.run([str(openfit), "build"], check=True, capture_output=True, timeout=900)


def _raw(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("apple_e2e")
    first, newer = root / "export-1.zip", root / "export-2.zip"
    write_export_zip(first, ExportSpec(days=4, export_seed=1))
    write_export_zip(newer, ExportSpec(days=5, export_seed=2, edited_weights={EDITED_DAY: 69.5}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENFIT_HOME", str(root / "home"))
        for key, value in COHORT.items():
            patch.setenv(key, value)
        get_settings.cache_clear()
        settings = get_settings()
        import_paths([first], settings)
        _build()
        before = {
            "weights": _snapshot(
                settings, "select ts, value from openfit.metrics where metric = 'weight' and source = 'files'"
            ),
            "raw_records": _raw(settings, "select count(*) from raw_files.apple_health_record")[0][0],
        }
        import_paths([newer], settings)
        _build()
        yield settings, before
    get_settings.cache_clear()


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_records_reach_the_openfit_tables_with_units_local_dates_and_devices(built):
    settings, _ = built
    devices = _snapshot(
        settings, "select device_type, vendor, model from openfit.devices where source = 'files' order by 1"
    )
    assert devices == [("phone", "apple", "iPhone14,2"), ("watch", "apple", "Watch6,2")]
    metrics = dict(
        (row[0], row[1:])
        for row in _snapshot(
            settings,
            "select metric, any_value(unit), count(*), min(ts), count(distinct device_id) from openfit.metrics "
            "where source = 'files' group by metric",
        )
    )
    assert metrics["heart_rate"][:2] == ("bpm", 5 * 288)
    first_beat = metrics["heart_rate"][2].astimezone(UTC)
    assert (first_beat.date(), first_beat.hour) == (date(2024, 3, 3), 22)  # 00:0x on 4 March at UTC+2
    assert metrics["hrv_sdnn"][:2] == ("ms", 5)
    assert metrics["weight"][0] == "kg"

    # the phone and the watch both counted every walk; the day counts it once (the watch, by priority)
    daily = _snapshot(
        settings,
        "select date, steps, steps_source from openfit.wellness_daily where athlete_id = 'files:owner' order by 1",
    )
    assert [row[0] for row in daily][:5] == [date(2024, 3, d) for d in range(4, 9)]
    by_source = _snapshot(
        settings,
        "select w.date, d.device_type, w.steps from openfit.wellness_daily_by_source w "
        "join openfit.devices d using (device_id) where w.source = 'files' and w.steps is not null order by 1, 2",
    )
    watch_steps = {day: steps for day, kind, steps in by_source if kind == "watch"}
    phone_steps = {day: steps for day, kind, steps in by_source if kind == "phone"}
    for day, steps, chosen in daily:
        assert steps == watch_steps[day] < phone_steps[day] + watch_steps[day]
        assert chosen.startswith("files:apple:")

    nights = _snapshot(
        settings,
        "select local_date, utc_offset_s, deep_s > 0, rem_s > 0 from openfit.sleep_sessions "
        "where source = 'files' order by 1",
    )
    assert [n[0] for n in nights] == [date(2024, 3, d) for d in range(4, 9)]  # the date one wakes up
    assert all(n[1:] == (7200, True, True) for n in nights)
    stages = {s[0] for s in _snapshot(settings, "select distinct stage from openfit.sleep_stages")}
    assert {"deep", "light", "rem", "awake"} <= stages


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_newer_export_adds_only_new_records_and_an_edit_replaces_the_old_value(built):
    settings, before = built
    keys, rows = _raw(
        settings, "select count(distinct record_key), count(*) from raw_files.apple_health_record"
    )[0]
    assert rows == keys + 1  # one day more, and the edited weight's new version beside the old one
    assert rows < 2 * before["raw_records"]
    weights = _snapshot(
        settings,
        "select ts, value from openfit.metrics where metric = 'weight' and source = 'files' order by ts",
    )
    edited = [value for ts, value in weights if ts.date() == EDITED_DAY]
    assert edited == [69.5]
    old = [value for ts, value in before["weights"] if ts.date() == EDITED_DAY]
    assert len(old) == 1 and old != [69.5]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_workouts_become_activities_merged_with_their_routes(built):
    """Each workout is one activity: the Watch's summary (sport, active time, distance, energy, heart rate) and
    its route's GPX track points, merged by time."""
    settings, _ = built
    workouts = _raw(settings, "select count(distinct workout_key) from raw_files.apple_health_workout")[0][0]
    assert workouts >= 2  # one on some evenings of the export
    activities = _snapshot(
        settings,
        "select a.sport, a.distance_m, a.avg_hr, a.kcal, a.has_gps, "
        "count(*) filter (where r.recording_id like 'files:apple:%'), count(*) "
        "from openfit.activities a join openfit.activity_recordings r using (activity_id) "
        "where a.athlete_id = 'files:owner' group by all",
    )
    assert len(activities) == workouts
    for sport, distance_m, avg_hr, kcal, has_gps, from_workout, recordings in activities:
        assert (sport, has_gps, from_workout, recordings) == ("running", True, 1, 2)
        assert 5_000 < distance_m < 11_000 and 150 <= avg_hr < 162 and kcal > 300  # km, bpm, kcal as written
    samples = _snapshot(
        settings,
        "select count(*) from openfit.activity_samples s join openfit.activities a using (activity_id) "
        "where a.athlete_id = 'files:owner' and s.lat is not null",
    )[0][0]
    assert samples > 180 * workouts  # the routes' points, every 10 s of each 30-60 min workout
