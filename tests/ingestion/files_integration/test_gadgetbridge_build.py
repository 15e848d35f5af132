"""Gadgetbridge end to end: a generated database export (zip) imported with `openfit import` and built lands in
the OpenFit tables (devices without their MAC, minute heart rate in metrics, daily steps per band, nights with
their stages); a newer export of the same database adds only the new minutes, and a minute a later sync
rewrote replaces the old value instead of doubling it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "files"))
from gadgetbridge_samples import (  # noqa: E402  (the database writer of tests/ingestion/files)
    BANDS,
    MI_BAND_5,
    NIGHT_MINUTES,
    DatabaseSpec,
    write_database,
    write_export_zip,
)

from openfit.settings import get_settings

COHORT = {
    "OPENFIT_SYNTHETIC_ATHLETES": "1",
    "OPENFIT_SYNTHETIC_DAYS": "7",
    "OPENFIT_SYNTHETIC_SEED": "3",
    "OPENFIT_SYNTHETIC_END_DATE": "2024-03-10",
}
REWRITTEN_AT = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)  # a minute the newer export holds with another value
REWRITTEN_HR = 199


def _openfit(*args: str) -> subprocess.CompletedProcess:
    """The CLI as a user runs it, each command in its own process."""
    openfit = Path(sys.executable).with_name("openfit")
    return subprocess.run([str(openfit), *args], capture_output=True, text=True, timeout=900)


def _snapshot(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.snapshot_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _raw(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("gadgetbridge_e2e")
    first = write_export_zip(root / "gadgetbridge-export-1.zip", DatabaseSpec(days=2))
    (root / "phone").mkdir()
    newer = write_database(
        root / "phone" / "Gadgetbridge.db",
        DatabaseSpec(
            days=3, edited_heart_rates={(MI_BAND_5.local_id, int(REWRITTEN_AT.timestamp())): REWRITTEN_HR}
        ),
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
        assert imported.returncode == 0, imported.stdout[-3000:] + imported.stderr[-3000:]
        before = {
            "hr_minutes": _snapshot(
                settings,
                "select count(*) from openfit.metrics where metric = 'heart_rate' "
                "and device_id like 'files:gadgetbridge:%'",
            )[0][0],
            "rewritten": _snapshot(
                settings,
                "select value from openfit.metrics where metric = 'heart_rate' "
                f"and ts = timestamptz '{REWRITTEN_AT.isoformat()}' and device_id = (select device_id from "
                f"openfit.devices where model = '{MI_BAND_5.name}')",
            ),
        }
        imported = _openfit("import", str(newer))
        assert imported.returncode == 0, imported.stdout[-3000:] + imported.stderr[-3000:]
        yield settings, before
    get_settings.cache_clear()


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_bands_reach_the_openfit_tables(built):
    settings, _ = built
    devices = _snapshot(
        settings,
        "select vendor, model, device_type, device_id, external_id from openfit.devices "
        "where device_id like 'files:gadgetbridge:%' order by model",
    )
    assert [row[:3] for row in devices] == sorted(
        [("amazfit" if b.manufacturer == "Huami" else "xiaomi", b.name, "watch") for b in BANDS],
        key=lambda row: row[1],
    )
    for band in BANDS:  # the MAC address is nowhere in the published tables
        assert all(band.identifier not in str(row) for row in devices)

    heart_rate = _snapshot(
        settings,
        "select any_value(unit), count(distinct device_id), min(value) >= 25, max(value) <= 250 "
        "from openfit.metrics where metric = 'heart_rate' and device_id like 'files:gadgetbridge:%'",
    )
    assert heart_rate == [("bpm", 3, True, True)]

    steps = _snapshot(
        settings,
        "select date, count(distinct device_id), min(steps) > 0 from openfit.wellness_daily_by_source "
        "where device_id like 'files:gadgetbridge:%' and steps is not null group by date order by date",
    )
    # the UTC days the bands walked (the first evening they slept from 22:30: no steps), each band its own row
    assert steps == [(date(2024, 3, d), 3, True) for d in (4, 5, 6)]
    chosen = _snapshot(
        settings,
        "select steps_source from openfit.wellness_daily where date = date '2024-03-05' and athlete_id = 'files:owner'",
    )
    assert chosen and chosen[0][0].startswith("files:gadgetbridge:")

    nights = _snapshot(
        settings,
        "select local_date, count(*), min(duration_s), max(duration_s), bool_and(deep_s > 0), "
        "bool_and(light_s > 0) from openfit.sleep_sessions where device_id like 'files:gadgetbridge:%' "
        "group by local_date order by local_date",
    )
    assert [n[0] for n in nights] == [date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6)]
    assert all(n[1:] == (3, NIGHT_MINUTES * 60, NIGHT_MINUTES * 60, True, True) for n in nights)
    # REM from the Amazfit's levels and from the Xiaomi's own stage table; the Mi Band 5's codes have none
    with_rem = _snapshot(
        settings,
        "select d.model from openfit.sleep_sessions s join openfit.devices d using (device_id) "
        "where s.device_id like 'files:gadgetbridge:%' and s.rem_s > 0 group by d.model order by 1",
    )
    assert with_rem == [("Amazfit GTR 4",), ("Xiaomi Smart Band 8",)]
    stages = _snapshot(
        settings,
        "select distinct stage from openfit.sleep_stages where sleep_id like 'files:gadgetbridge:%' order by 1",
    )
    assert [s[0] for s in stages] == ["deep", "light", "rem"]


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_workouts_become_activities(built):
    settings, _ = built
    runs = _snapshot(
        settings,
        "select sport, local_date, duration_s, distance_m, avg_hr, max_hr, kcal, moving_s from openfit.activities "
        "where primary_device_id like 'files:gadgetbridge:%' order by start_time",
    )
    run_days = [date(2024, 3, d) for d in (4, 5, 6) if date(2024, 3, d).toordinal() % 2 == 0]
    assert [r[1] for r in runs] == run_days
    assert all(r[0] == "running" and r[2:] == (2400, 6120.0, 152.0, 165.0, 412.0, 2400) for r in runs)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_newer_export_adds_only_new_minutes_and_a_rewritten_minute_replaces_the_old(built):
    settings, before = built
    rows, keys = _raw(
        settings,
        "select count(*), count(distinct (device_key, sample_table, timestamp)) "
        "from raw_files.gadgetbridge_activity_sample",
    )[0]
    assert rows == keys + 1  # the third day added, the rewritten minute's new version beside the old one
    statuses = _raw(settings, "select status from raw_files.file_imports where format = 'gadgetbridge'")
    assert sorted(s[0] for s in statuses) == ["imported", "imported"]

    hr_minutes = _snapshot(
        settings,
        "select count(*), count(distinct (device_id, ts)) from openfit.metrics where metric = 'heart_rate' "
        "and device_id like 'files:gadgetbridge:%'",
    )[0]
    assert hr_minutes[0] == hr_minutes[1] > before["hr_minutes"]
    rewritten = _snapshot(
        settings,
        "select value from openfit.metrics where metric = 'heart_rate' "
        f"and ts = timestamptz '{REWRITTEN_AT.isoformat()}' and device_id = (select device_id from "
        f"openfit.devices where model = '{MI_BAND_5.name}')",
    )
    assert rewritten == [(float(REWRITTEN_HR),)] and before["rewritten"] != rewritten
