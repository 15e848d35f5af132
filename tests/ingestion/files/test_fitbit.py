"""Google Takeout Fitbit exports: each file recognised by its name's pattern AND its content, decoded into
raw_files.fitbit_* tables with local wall times, damaged files quarantined while the rest lands, and newer
cumulative Takeouts adding only what is new."""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pytest
from fitbit_takeout_samples import (
    GLOBAL,
    ROOT,
    TakeoutSpec,
    build_takeout,
    write_takeout_folder,
    write_takeout_zip,
)

from ingestion.files.decode import decode_bytes, decode_path
from ingestion.files.fitbit import device_key, sniff_fitbit, wall_time
from ingestion.files.importer import import_paths
from openfit.settings import Settings

SPEC = TakeoutSpec(days=3)


@pytest.fixture(scope="module")
def takeout():
    return build_takeout(SPEC)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "home"))
    return Settings()


def _query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _fitbit(summary, status: str | None = None):
    return [o for o in summary.outcomes if o.format == "fitbit" and (status is None or o.status == status)]


# ------------------------------------------------------------------------------------------------ decode


def test_recognised_by_name_pattern_and_content_together(takeout):
    heart = takeout.files[f"{GLOBAL}/heart_rate-2024-03-04.json"]
    assert sniff_fitbit(heart, "heart_rate-2024-03-04.json") == "heart_rate"
    assert sniff_fitbit(heart, "renamed.json") is None  # the content alone does not say which series
    assert sniff_fitbit(b"<html></html>", "heart_rate-2024-03-04.json") is None  # the name alone neither
    profile = takeout.files[f"{ROOT}/Your Profile/Profile.csv"]
    assert sniff_fitbit(profile, "Profile.csv") == "profile"
    assert sniff_fitbit(b"name,age\nx,1\n", "Profile.csv") is None
    assert sniff_fitbit(b"[]", "steps-2024-03-04.json") == "steps"  # a day without data
    not_fitbit = decode_bytes(b"<html></html>", "heart_rate-2024-03-04.json")
    assert not_fitbit.status == "quarantined" and not_fitbit.format == "unknown"


def test_wall_times_as_fitbit_writes_them():
    assert wall_time("03/04/24 07:05:09") == ("2024-03-04 07:05:09", None)
    assert wall_time("03/04/24") == ("2024-03-04 00:00:00", None)
    assert wall_time("2024-03-03T22:41:00.000") == ("2024-03-03 22:41:00", None)
    assert wall_time("2024-03-03T22:41") == ("2024-03-03 22:41:00", None)
    assert wall_time("2024-03-03T22:41:00Z") == ("2024-03-03 22:41:00", 0)
    assert wall_time("2024-03-03T22:41:00-05:00") == ("2024-03-03 22:41:00", -300)
    assert wall_time("yesterday") == (None, None)


def test_decodes_every_kind(takeout):
    decoded = {path: decode_bytes(data, path) for path, data in takeout.files.items()}
    fitbit = {path: d for path, d in decoded.items() if d.format == "fitbit"}
    assert {d.status for d in fitbit.values()} == {"imported"}
    tables: dict[str, int] = {}
    for d in fitbit.values():
        for name, count in d.counts().items():
            tables[name] = tables.get(name, 0) + count
    assert tables == {
        "heart_rate": takeout.heart_rate_rows,
        "steps": 3 * 96,
        "calories": 3 * 96,
        "distance": 3 * 96,
        "resting_heart_rate": 3,
        "sleep": takeout.sleep_logs,
        "sleep_stage": takeout.sleep_stage_rows,
        "exercise": takeout.exercises,
        "device": 1,
        "weight": takeout.weights,
        "hrv_daily": 3,
        "hrv_detail": 3 * 72,
        "spo2_daily": 3,
        "spo2_minute": 3 * 60,
        "computed_temperature": 3,
        "device_temperature": 3 * 6,
        "profile": 1,
    }
    # what is not Fitbit's, or a Fitbit kind we do not read, is not taken for Fitbit
    assert decoded[f"{GLOBAL}/swim_lengths_data-2024-03-04.json"].format == "unknown"
    assert decoded["Takeout/archive_browser.html"].format == "unknown"

    heart = fitbit[f"{GLOBAL}/heart_rate-2024-03-05.json"].tables["heart_rate"]
    first = heart.slice(0, 1).to_pylist()[0]
    assert first["local_time"] == "2024-03-05 00:00:00" and first["offset_min"] is None
    assert 25 < first["bpm"] < 250 and first["confidence"] in (2, 3)

    hrv = fitbit[f"{ROOT}/Heart Rate Variability/Daily Heart Rate Variability Summary - 2024-03-(05).csv"]
    row = hrv.tables["hrv_daily"].to_pylist()[0]
    assert (
        row["local_time"] == "2024-03-05 00:00:00" and row["rmssd"] == takeout.rmssd_by_day[date(2024, 3, 5)]
    )

    sleep = fitbit[f"{GLOBAL}/sleep-2024-03-04.json"]
    night = sleep.tables["sleep"].to_pylist()[0]
    assert night["date_of_sleep"] == "2024-03-04" and night["local_start"].startswith("2024-03-03 2")
    assert json.loads(night["levels_summary"])["deep"]["count"] == 2
    stages = sleep.tables["sleep_stage"].to_pylist()
    assert {s["level"] for s in stages} == {"wake", "light", "deep", "rem"}
    assert sum(s["is_short"] for s in stages) == takeout.sleep_logs  # one short wake a night

    exercise = fitbit[f"{GLOBAL}/exercise-0.json"]
    run = exercise.tables["exercise"].to_pylist()[0]
    assert run["activity_name"] == "Run" and run["local_start"] == "2024-03-04 07:00:00"
    assert run["distance"] == 5.21 and run["distance_unit"] == "Kilometer" and run["duration_ms"] == 1_800_000
    [tracker] = exercise.tables["device"].to_pylist()
    assert tracker["device_key"] == run["device_key"] == device_key("tracker", "Charge 6")

    profile = fitbit[f"{ROOT}/Your Profile/Profile.csv"].tables["profile"].to_pylist()[0]
    assert profile["timezone"] == "Europe/Berlin" and profile["weight_unit"] == "METRIC"
    assert "email_address" not in profile and "full_name" not in profile  # not needed, not kept


def test_a_device_keeps_its_id_across_exports_and_case():
    assert device_key("tracker", "Charge 6") == device_key("Tracker", " charge 6 ")
    assert device_key("tracker", "Charge 6") != device_key("tracker", "Sense 2")
    assert device_key("tracker", None) is None


def test_empty_day_is_imported_without_rows_and_damage_is_specific():
    empty = decode_bytes(b"[]", "steps-2024-03-04.json")
    assert empty.status == "imported" and not empty.tables and "empty" in empty.reason
    truncated = decode_bytes(
        b'[{\n  "dateTime" : "03/04/24 00:00:00",\n  "value" : {"bpm" : 6', "heart_rate-2024-03-04.json"
    )
    assert truncated.status == "quarantined"
    assert "damaged Fitbit heart_rate file 'heart_rate-2024-03-04.json': invalid JSON" in truncated.reason
    ragged = decode_bytes(
        b"timestamp,rmssd,coverage\n2024-03-04T00:00:00,40.1\n",
        "Heart Rate Variability Details - 2024-03-04.csv",
    )
    assert ragged.status == "quarantined" and "CSV line 2 has 2 fields, the header has 3" in ragged.reason
    wrong = decode_bytes(b'[{"logId" : null}, 7]', "sleep-2024-03-04.json")
    assert wrong.status == "quarantined" and "none of its 2 entries" in wrong.reason
    bad_time = decode_bytes(
        b'[{"dateTime" : "03/04/24 00:00:00", "value" : "5"}, {"dateTime" : "soon", "value" : "6"}]',
        "steps-2024-03-04.json",
    )
    assert bad_time.status == "partial" and bad_time.nulled == {"time_unreadable": 1}


def test_shared_fixtures_resting_heart_rate(shared_fixtures):
    folder = shared_fixtures / "health" / "google_takeout_fitbit" / "fitout"
    if not folder.is_dir():
        pytest.skip("no Google Takeout Fitbit fixtures")
    decoded = decode_path(folder / "resting_heart_rate-2024-03-01.json")
    assert decoded.format == "fitbit" and decoded.status == "imported"
    rows = decoded.tables["resting_heart_rate"].to_pylist()
    assert [(r["local_date"], round(r["value"], 2)) for r in rows] == [
        ("2024-03-01", 54.01),
        ("2024-03-02", 55.07),
    ]


# ------------------------------------------------------------------------------------------------ import


@pytest.mark.timeout(300)
def test_folder_import_lands_in_raw_files_with_provenance(tmp_path, home):
    folder = tmp_path / "takeout"
    written = write_takeout_folder(folder, SPEC)
    summary = import_paths([folder], home)
    fitbit = _fitbit(summary)
    assert {o.status for o in fitbit} == {"imported"} and summary.quarantined == 0
    assert summary.skipped >= 2  # Takeout's html index and the swim file are not Fitbit files we read
    assert _query(home, "select count(*) from raw_files.fitbit_heart_rate") == [(written.heart_rate_rows,)]
    assert _query(home, "select count(*) from raw_files.fitbit_sleep_stage") == [(written.sleep_stage_rows,)]
    provenance = _query(
        home,
        "select count(*) from raw_files.fitbit_heart_rate h join raw_files.file_imports f on f.sha256 = h.file_sha256 "
        "where f.format = 'fitbit' and h.parser = 'openfit-fitbit-takeout'",
    )
    assert provenance == [(written.heart_rate_rows,)]
    assert _query(home, "select timezone from raw_files.fitbit_profile") == [("Europe/Berlin",)]


@pytest.mark.timeout(300)
def test_damaged_file_in_a_takeout_zip_is_quarantined_and_the_rest_lands(tmp_path, home):
    path = tmp_path / "takeout-20240307T101010Z-001.zip"
    written = build_takeout(SPEC)
    import zipfile

    damaged = f"{GLOBAL}/heart_rate-2024-03-05.json"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in written.files.items():
            archive.writestr(name, content[: len(content) // 2] if name == damaged else content)
    summary = import_paths([path], home)
    [bad] = _fitbit(summary, "quarantined")
    assert bad.original_name == damaged and "invalid JSON" in bad.reason
    assert summary.exit_code == 3
    assert _query(home, "select count(*) from raw_files.fitbit_heart_rate") == [(2 * 1440,)]
    logged = _query(
        home, f"select status, reason from raw_files.file_imports where original_name = '{damaged}'"
    )
    assert logged == [("quarantined", bad.reason)]
    assert _query(home, "select count(*) from raw_files.fitbit_sleep") == [(3,)]


def test_zip_written_for_other_tests_is_readable(tmp_path):
    path = tmp_path / "takeout.zip"
    written = write_takeout_zip(path, TakeoutSpec(days=1))
    assert written.heart_rate_rows == 1440 and path.stat().st_size > 0


@pytest.mark.timeout(300)
def test_newer_cumulative_takeout_adds_only_what_is_new(tmp_path, home):
    first, newer, again = tmp_path / "takeout-1.zip", tmp_path / "takeout-2.zip", tmp_path / "takeout-3"
    write_takeout_zip(first, TakeoutSpec(days=3))
    edited = {date(2024, 3, 4): 69.4}
    write_takeout_zip(newer, TakeoutSpec(days=5, edited_weights=edited))
    import_paths([first], home)
    heart_first = _query(home, "select count(*) from raw_files.fitbit_heart_rate")[0][0]
    assert heart_first == 3 * 1440

    summary = import_paths([newer], home)
    # unchanged days' files are duplicates by hash; the grown 30-day files were decoded and cut to what is new
    duplicates = {
        o.original_name for o in summary.outcomes if o.status == "duplicate"
    }  # by hash: not decoded
    assert duplicates >= {f"{GLOBAL}/heart_rate-2024-03-04.json"}
    steps = [o for o in _fitbit(summary) if o.original_name.endswith("steps-2024-03-04.json")]
    assert steps[0].status == "imported" and "already imported from an earlier export" in " ".join(
        steps[0].warnings
    )
    assert _query(home, "select count(*), count(distinct local_time) from raw_files.fitbit_heart_rate") == [
        (5 * 1440, 5 * 1440)
    ]
    assert _query(home, "select count(*), count(distinct local_time) from raw_files.fitbit_steps") == [
        (5 * 96, 5 * 96)
    ]
    assert _query(home, "select count(*), count(distinct log_id) from raw_files.fitbit_sleep") == [(5, 5)]
    weights = _query(
        home, "select weight from raw_files.fitbit_weight where local_time like '2024-03-04%' order by 1"
    )
    assert len(weights) == 2 and (69.4,) in weights  # the first export's value and the edited one

    write_takeout_folder(again, TakeoutSpec(days=5, edited_weights=edited))
    third = import_paths([again], home)
    assert {o.status for o in third.outcomes} == {"duplicate"} and third.skipped >= 2
    assert _query(home, "select count(*) from raw_files.fitbit_heart_rate") == [(5 * 1440,)]


@pytest.mark.timeout(300)
def test_a_takeout_zip_dropped_into_the_inbox_is_imported(home):
    home.inbox_dir.mkdir(parents=True, exist_ok=True)
    written = write_takeout_zip(home.inbox_dir / "takeout-20240305T080000Z-001.zip", TakeoutSpec(days=1))
    summary = import_paths(None, home)  # no paths: the inbox, as the inbox sensor's run reads it
    assert {o.status for o in _fitbit(summary)} == {"imported"}
    assert _query(home, "select count(*) from raw_files.fitbit_heart_rate") == [(written.heart_rate_rows,)]
    again = import_paths(None, home)  # the inbox need not be emptied: its files are duplicates now
    assert {o.status for o in again.outcomes} == {"duplicate"}


def test_unusual_intraday_shapes_take_the_per_item_path():
    mixed = decode_bytes(
        b'[{"dateTime" : "03/04/24 00:00:00", "value" : 5}, {"dateTime" : "03/04/24 00:01:00", "value" : "6"}, 7]',
        "steps-2024-03-04.json",
    )
    assert mixed.status == "partial" and mixed.nulled == {"time_unreadable": 1}  # the stray 7
    assert mixed.tables["steps"].column("value").to_pylist() == [5.0, 6.0, None]
    fast = decode_bytes(
        b'[{"dateTime" : "03/04/24 00:00:00", "value" : {"bpm" : 61, "confidence" : 1}}]',
        "heart_rate-2024-03-04.json",
    )
    slow = decode_bytes(
        b'[{"dateTime" : "03/04/24 00:00:00", "value" : {"bpm" : "61", "confidence" : 1}}]',
        "heart_rate-2024-03-04.json",
    )
    assert fast.tables["heart_rate"].equals(slow.tables["heart_rate"])
