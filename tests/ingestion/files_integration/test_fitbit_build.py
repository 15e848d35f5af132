"""Google Takeout Fitbit end to end: a generated Takeout zip goes through `openfit import` (with its build) into
the OpenFit tables, with UTC times from the profile's time zone, RMSSD as its own metric, sleep with stages,
daily resting heart rate, RMSSD and steps, weigh-ins, exercises as activity recordings and the account's devices; a newer cumulative Takeout adds
only what is new and an edited weigh-in replaces the old value."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "files"))
from fitbit_takeout_samples import TakeoutSpec, write_takeout_zip  # noqa: E402  (the Takeout writer of tests/ingestion/files)

from openfit.settings import Settings  # noqa: E402

COHORT = {
    "OPENFIT_SYNTHETIC_ATHLETES": "1",
    "OPENFIT_SYNTHETIC_DAYS": "7",
    "OPENFIT_SYNTHETIC_SEED": "3",
    "OPENFIT_SYNTHETIC_END_DATE": "2024-03-10",
}
EDITED_DAY = date(2024, 3, 6)  # a weigh-in day (every other day from 4 March)


def _openfit(*args: str, home: Path) -> subprocess.CompletedProcess:
    """The CLI as a user runs it, in its own process."""
    openfit = Path(sys.executable).with_name("openfit")
    env = {**os.environ, "OPENFIT_HOME": str(home), **COHORT}
    return subprocess.run([str(openfit), *args], capture_output=True, text=True, timeout=900, env=env)


def _read(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("fitbit_e2e")
    home = root / "home"
    first, newer = root / "takeout-20240307T090000Z-001.zip", root / "takeout-20240309T090000Z-001.zip"
    write_takeout_zip(first, TakeoutSpec(days=3))
    write_takeout_zip(newer, TakeoutSpec(days=5, edited_weights={EDITED_DAY: 69.4}))
    one = _openfit("import", str(first), home=home)
    assert one.returncode == 0, one.stdout + one.stderr
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENFIT_HOME", str(home))
        settings = Settings()
    snapshot, warehouse = settings.snapshot_path, settings.warehouse_path
    before = _read(
        snapshot, "select count(*) from openfit.metrics where source = 'files' and metric = 'heart_rate'"
    )
    two = _openfit("import", str(newer), home=home)
    assert two.returncode == 0, two.stdout + two.stderr
    return snapshot, warehouse, before[0][0]


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_takeout_reaches_the_openfit_tables_in_utc_with_rmssd_sleep_and_devices(built):
    snapshot, _, heart_first = built
    assert heart_first == 3 * 1440
    metrics = {
        row[0]: row[1:]
        for row in _read(
            snapshot,
            "select metric, any_value(unit), count(*), min(ts), count(distinct device_id) from openfit.metrics "
            "where source = 'files' group by metric",
        )
    }
    assert metrics["heart_rate"][:2] == ("bpm", 5 * 1440)
    # 00:00 on 4 March in Berlin (UTC+1 in winter) is 23:00 UTC on 3 March
    assert metrics["heart_rate"][2].astimezone(UTC) == datetime(2024, 3, 3, 23, 0, tzinfo=UTC)
    assert metrics["hrv_rmssd"][:2] == ("ms", 5 * 72) and "hrv_sdnn" not in metrics
    assert metrics["spo2"][:2] == ("%", 5 * 60)
    assert metrics["skin_temperature"][:2] == ("°C", 5)
    assert metrics["weight"][:2] == ("kg", 3)
    edited = _read(
        snapshot,
        "select value from openfit.metrics where metric = 'weight' and source = 'files' "
        f"and cast(timezone('Europe/Berlin', ts) as date) = date '{EDITED_DAY}'",
    )
    assert edited == [(69.4,)]

    devices = _read(
        snapshot,
        "select device_id, vendor, model, device_type from openfit.devices where vendor = 'fitbit' order by 1",
    )
    assert [d[2] for d in devices] == ["Fitbit (tracker not named by the export)", "Charge 6"][::-1] or len(
        devices
    ) == 2
    assert {d[3] for d in devices} == {"watch"} and "files:fitbit:account" in {d[0] for d in devices}

    runs = _read(
        snapshot,
        "select r.sport, r.start_time, r.duration_s, r.distance_m, r.device_id from openfit.activity_recordings r "
        "where r.recording_id like 'files:fitbit:exercise:%' order by r.start_time",
    )
    assert len(runs) == 3 and {r[0] for r in runs} == {"running"}  # a run every other day of 5
    # 07:00 in Berlin is 06:00 UTC; 30 minutes, 5.21 km, on the tracker the exercise names
    assert runs[0][1].astimezone(UTC) == datetime(2024, 3, 4, 6, 0, tzinfo=UTC)
    assert runs[0][2:4] == (1800.0, 5210.0) and runs[0][4] != "files:fitbit:account"

    # each run's TCX (imported by the TCX decoder) is the same workout: one activity with both recordings
    pairs = _read(
        snapshot,
        "select activity_id, count(*), count(*) filter (where recording_id like 'files:fitbit:exercise:%') "
        "from openfit.activity_recordings where source = 'files' and sport = 'running' group by 1",
    )
    assert len(pairs) == 3 and all(pair[1:] == (2, 1) for pair in pairs)

    nights = _read(
        snapshot,
        "select local_date, utc_offset_s, deep_s > 0, rem_s > 0, awake_s > 0 from openfit.sleep_sessions "
        "where source = 'files' order by 1",
    )
    assert [n[0] for n in nights] == [date(2024, 3, d) for d in range(4, 9)]
    assert all(n[1:] == (3600, True, True, True) for n in nights)
    stages = _read(
        snapshot,
        "select distinct stage from openfit.sleep_stages where sleep_id like 'fitbit:%' order by 1",
    )
    assert [s[0] for s in stages] == ["awake", "deep", "light", "rem"]

    daily = _read(
        snapshot,
        "select date, resting_hr, hrv_rmssd_ms, steps from openfit.wellness_daily_by_source "
        "where device_id = 'files:fitbit:account' and resting_hr is not null order by 1",
    )
    assert [d[0] for d in daily] == [date(2024, 3, d) for d in range(4, 9)]
    assert all(49 < d[1] < 57 and 29 < d[2] < 56 and d[3] > 0 for d in daily)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_the_import_log_and_raw_rows_show_only_new_data_loaded(built):
    _, warehouse, _ = built
    statuses = dict(
        _read(
            warehouse,
            "select status, count(*) from raw_files.file_imports where format = 'fitbit' group by 1",
        )
    )
    # the first Takeout's 27 Fitbit files; of the newer one only the 2 new days' 6 files each and the 8 grown
    # 30-day files (steps, calories, distance, resting heart rate, sleep, weight, exercises, daily SpO2): the
    # unchanged files are duplicates by hash, reported but neither decoded nor logged again
    assert statuses == {"imported": 27 + 2 * 6 + 8}
    assert _read(
        warehouse, "select count(*) - count(distinct local_time) from raw_files.fitbit_heart_rate"
    ) == [(0,)]
    assert _read(warehouse, "select count(*) - count(distinct local_time) from raw_files.fitbit_steps") == [
        (0,)
    ]
