"""Gadgetbridge databases: recognised by content (SQLite + its tables), read in chunks into Arrow tables with the
activity kinds of each device family normalised, devices keyed without their MAC address, damaged databases
quarantined or partial, and newer exports of the same database adding only what is new."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow.compute as pc
import pytest
from gadgetbridge_samples import (
    AMAZFIT_GTR_4,
    BANDS,
    MI_BAND_5,
    NIGHT_MINUTES,
    SCHEMA,
    XIAOMI_BAND_8,
    DatabaseSpec,
    sleep_stage_at,
    write_database,
    write_export_zip,
)

from ingestion.files import gadgetbridge
from ingestion.files.decode import decode_bytes, decode_path, sniff
from ingestion.files.gadgetbridge import decode_gadgetbridge, device_key
from ingestion.files.importer import import_paths
from openfit.settings import Settings

SPEC = DatabaseSpec(days=3)
MINUTES_PER_DAY = 24 * 60


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    return write_database(tmp_path_factory.mktemp("gb") / "Gadgetbridge", SPEC)


@pytest.fixture(scope="module")
def decoded(database):
    return decode_gadgetbridge(database)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "home"))
    return Settings()


def _query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _samples_of(decoded, band) -> list[dict]:
    table = decoded.tables["activity_sample"]
    mask = pc.equal(table.column("device_key").cast("string"), device_key(band.identifier, band.local_id))
    return table.filter(mask).to_pylist()


# ------------------------------------------------------------------------------------------------ sniffing


def test_recognised_by_its_content_not_its_name(database):
    data = database.read_bytes()
    assert sniff(data[:100]) == "sqlite"  # any SQLite database: its tables decide (sqlite_formats)
    from_bytes = decode_bytes(data, "holiday-photo.jpg")
    assert from_bytes.format == "gadgetbridge" and from_bytes.status == "imported"


def test_another_sqlite_database_is_refused_with_the_reason(tmp_path):
    other = tmp_path / "contacts.db"
    with sqlite3.connect(other) as connection:
        connection.execute("create table contacts (name text)")
    decoded = decode_path(other)
    assert decoded.status == "quarantined"
    assert decoded.reason.startswith("not a Gadgetbridge database") and "contacts" in decoded.reason


def test_folder_and_zip_members_are_found_by_content(tmp_path, home, database):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "gb-backup.bin").write_bytes(database.read_bytes())  # renamed: still Gadgetbridge's
    with sqlite3.connect(folder / "browser-history.sqlite") as connection:  # SQLite, but not ours
        connection.execute("create table visits (url text)")
    write_export_zip(folder / "gadgetbridge-export.zip", DatabaseSpec(days=1))
    summary = import_paths([folder], home)
    found = sorted((o.original_name.rsplit("/", 1)[-1], o.status, o.format) for o in summary.outcomes)
    assert found == [
        ("Gadgetbridge", "imported", "gadgetbridge"),
        ("gb-backup.bin", "imported", "gadgetbridge"),
    ]
    # the other SQLite file, the zip's preferences and log are skipped, not quarantined
    assert summary.skipped == 3 and summary.quarantined == 0


# ------------------------------------------------------------------------------------------------ decoding


def test_devices_are_keyed_without_their_mac_address(decoded):
    devices = decoded.tables["device"].to_pylist()
    assert [(d["name"], d["manufacturer"], d["type_name"], d["firmware_version"]) for d in devices] == [
        (band.name, band.manufacturer, band.type_name, band.firmware) for band in BANDS
    ]
    text = json.dumps(devices) + json.dumps(
        decoded.tables["activity_sample"].slice(0, 10).to_pylist(), default=str
    )
    for band in BANDS:
        assert band.identifier not in text and band.identifier.replace(":", "") not in text
    # the same band has the same key whatever the case of its address or its local id in another database
    assert device_key(MI_BAND_5.identifier.lower(), 9) == device_key(MI_BAND_5.identifier, 1)
    assert len({d["device_key"] for d in devices}) == 3


def test_samples_of_every_family_with_times_steps_and_heart_rate(decoded, database):
    samples = decoded.tables["activity_sample"]
    assert samples.num_rows == len(BANDS) * SPEC.days * MINUTES_PER_DAY
    assert set(samples.column("sample_table").cast("string").unique().to_pylist()) == {
        band.sample_table for band in BANDS
    }
    with sqlite3.connect(database) as connection:
        ts, steps, heart_rate = connection.execute(
            'select "TIMESTAMP", "STEPS", "HEART_RATE" from "XIAOMI_ACTIVITY_SAMPLE" order by 1 limit 1'
        ).fetchone()
        no_value = connection.execute(
            "select count(*) from ("
            + " union all ".join(f'select "HEART_RATE" as hr from "{b.sample_table}"' for b in BANDS)
            + ") where hr in (0, 255)"
        ).fetchone()[0]
    first = _samples_of(decoded, XIAOMI_BAND_8)[0]
    assert first["timestamp"] == datetime.fromtimestamp(ts, UTC)
    assert (first["steps"], first["heart_rate"]) == (steps, heart_rate)
    # 0 and 255 mean "no value": NULL, and not counted as impossible values
    assert samples.column("heart_rate").null_count == no_value > 0
    assert "heart_rate_out_of_range" not in decoded.nulled


def _night_kinds(samples: list[dict]) -> list[str]:
    return [s["activity_kind"] for s in samples[:NIGHT_MINUTES]]


def test_impossible_values_are_nulled_and_counted(tmp_path):
    path = write_database(tmp_path / "Gadgetbridge", DatabaseSpec(days=1))
    with sqlite3.connect(path) as connection:
        first, second, third = [
            row[0] for row in connection.execute('select "TIMESTAMP" from "MI_BAND_ACTIVITY_SAMPLE" limit 3')
        ]
        update = 'update "MI_BAND_ACTIVITY_SAMPLE" set {} where "TIMESTAMP" = ?'
        connection.execute(update.format('"HEART_RATE" = 300'), (first,))
        connection.execute(update.format('"STEPS" = 5000'), (second,))
        connection.execute(update.format("\"STEPS\" = 'many'"), (third,))  # SQLite keeps any type
    result = decode_path(path)
    assert result.status == "imported"
    assert result.nulled == {"heart_rate_out_of_range": 1, "steps_out_of_range": 1}
    rows = _samples_of(result, MI_BAND_5)[:3]
    assert (rows[0]["heart_rate"], rows[1]["steps"], rows[2]["steps"]) == (None, None, None)


def test_sleep_kinds_are_normalised_per_family(decoded):
    expected = [sleep_stage_at(minute) + "_sleep" for minute in range(NIGHT_MINUTES)]
    # Huami extended: 120 'sleep' refined by the deep and REM levels
    assert _night_kinds(_samples_of(decoded, AMAZFIT_GTR_4)) == expected
    # Huami (Mi Band 5): kinds only at changes, "no change" / "ignore" repeat the last one; no REM code
    mi_band = _samples_of(decoded, MI_BAND_5)
    assert _night_kinds(mi_band) == [kind.replace("rem_", "light_") for kind in expected]
    assert {s["raw_kind"] for s in mi_band[:NIGHT_MINUTES]} >= {0, 10, 9, 11}
    assert {s["activity_kind"] for s in mi_band[NIGHT_MINUTES:MINUTES_PER_DAY]} == {"activity"}


def test_xiaomi_sleep_comes_from_its_own_tables(decoded):
    stages = decoded.tables["sleep_stage_sample"].to_pylist()
    first_night = [row for row in stages if row["timestamp"] < stages[0]["timestamp"] + timedelta(hours=12)]
    changes = [(row["timestamp"] - first_night[0]["timestamp"], row["stage"]) for row in first_night]
    expected, previous = [], None
    for minute in range(NIGHT_MINUTES):
        if sleep_stage_at(minute) != previous:
            previous = sleep_stage_at(minute)
            expected.append((timedelta(minutes=minute), previous))
    assert changes == [*expected, (timedelta(minutes=NIGHT_MINUTES), None)]  # 0: not sleep any more
    assert {row["device_key"] for row in stages} == {device_key(XIAOMI_BAND_8.identifier, 3)}
    nights = decoded.tables["sleep_time_sample"].to_pylist()
    assert len(nights) == SPEC.days
    assert all(n["wakeup_time"] - n["bed_time"] == timedelta(minutes=NIGHT_MINUTES) for n in nights)
    assert nights[0]["total_minutes"] == NIGHT_MINUTES and nights[0]["deep_minutes"] > 0


def test_chunks_do_not_change_the_result(database, decoded, monkeypatch):
    monkeypatch.setattr(gadgetbridge, "CHUNK_ROWS", 997)  # the "no change" kinds cross chunk boundaries
    small = decode_gadgetbridge(database)
    assert small.tables["activity_sample"].to_pylist() == decoded.tables["activity_sample"].to_pylist()


def test_workouts_and_the_export_row(decoded):
    [first, *_] = decoded.tables["activity_summary"].to_pylist()
    assert first["name"] == "Outdoor Running" and first["activity_kind"] == 0x10
    assert first["end_time"] - first["start_time"] == timedelta(minutes=40)
    assert json.loads(first["summary_data"])["distanceMeters"] == {"value": 6120.0, "unit": "meters"}
    [export] = decoded.tables["export"].to_pylist()
    assert export["schema_version"] == 92 and export["device_count"] == 3
    assert export["latest_sample_at"] == max(
        decoded.tables["activity_sample"].column("timestamp").to_pylist()
    )


def test_the_apps_own_file_in_wal_mode_reads_without_its_wal(tmp_path):
    """The live database (copied off the phone rather than exported) is in WAL mode; read-only and immutable,
    it reads without its -wal file and nothing is written beside it."""
    folder = tmp_path / "copied"
    folder.mkdir()
    path = write_database(folder / "Gadgetbridge", DatabaseSpec(days=1))
    with sqlite3.connect(path) as connection:
        assert connection.execute("pragma journal_mode = wal").fetchone() == ("wal",)
    result = decode_path(path)
    assert result.status == "imported", result.reason
    assert result.tables["activity_sample"].num_rows == len(BANDS) * MINUTES_PER_DAY
    assert sorted(p.name for p in folder.iterdir()) == ["Gadgetbridge"]


def test_a_database_without_data_is_quarantined(tmp_path):
    path = write_database(tmp_path / "Gadgetbridge", DatabaseSpec(days=0))
    result = decode_path(path)
    assert result.status == "quarantined" and result.reason.startswith("no data decoded")


# ------------------------------------------------------------------------------------------------ damage


def test_garbage_behind_the_header_is_quarantined():
    decoded = decode_bytes(b"SQLite format 3\x00" + b"\xde\xad" * 4000, "Gadgetbridge")
    assert decoded.status == "quarantined" and decoded.reason.startswith("damaged SQLite database")


def test_a_damaged_sample_table_keeps_the_rest(tmp_path, database):
    damaged = tmp_path / "Gadgetbridge"
    data = bytearray(database.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    with sqlite3.connect(database) as connection:
        root = connection.execute(
            "select rootpage from sqlite_master where name = 'XIAOMI_ACTIVITY_SAMPLE'"
        ).fetchone()[0]
    start = (root - 1) * page_size
    data[start : start + page_size] = b"\xff" * page_size  # the table's root page overwritten
    damaged.write_bytes(bytes(data))
    result = decode_path(damaged)
    assert result.status == "partial", result.reason
    assert "XIAOMI_ACTIVITY_SAMPLE is damaged" in result.reason
    kept = set(result.tables["activity_sample"].column("sample_table").cast("string").unique().to_pylist())
    assert kept == {MI_BAND_5.sample_table, AMAZFIT_GTR_4.sample_table}


def test_a_corrupt_database_is_quarantined_and_the_batch_goes_on(tmp_path, home, database):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "Gadgetbridge").write_bytes(database.read_bytes())
    (folder / "Gadgetbridge-broken").write_bytes(database.read_bytes()[:100] + b"\x00" * 300)
    summary = import_paths([folder / "Gadgetbridge", folder / "Gadgetbridge-broken"], home)
    outcomes = {o.original_name.rsplit("/", 1)[-1]: o for o in summary.outcomes}
    assert outcomes["Gadgetbridge"].status == "imported"
    broken = outcomes["Gadgetbridge-broken"]
    assert broken.status == "quarantined" and "damaged" in broken.reason
    logged = _query(home, "select status, reason from raw_files.file_imports where status = 'quarantined'")
    assert logged == [("quarantined", broken.reason)]
    assert _query(home, "select count(*) from raw_files.gadgetbridge_activity_sample")[0][0] == (
        len(BANDS) * SPEC.days * MINUTES_PER_DAY
    )


# ------------------------------------------------------------------------------------------------ re-import


@pytest.mark.timeout(300)
def test_newer_exports_add_only_what_is_new(tmp_path, home):
    first_ts = int(datetime(2024, 3, 4, 12, 0, tzinfo=UTC).timestamp())
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
    first = write_database(tmp_path / "a" / "Gadgetbridge", DatabaseSpec(days=2))
    newer_spec = DatabaseSpec(days=3, edited_heart_rates={(MI_BAND_5.local_id, first_ts): 199})
    newer = write_database(tmp_path / "b" / "Gadgetbridge", newer_spec)

    def outcome(summary):
        [result] = [o for o in summary.outcomes if o.format == "gadgetbridge"]
        return result

    assert outcome(import_paths([first], home)).status == "imported"
    two = outcome(import_paths([newer], home))
    assert two.status == "imported" and "already imported from an earlier export" in " ".join(two.warnings)
    rows, keys = _query(
        home,
        "select count(*), count(distinct (device_key, sample_table, timestamp)) "
        "from raw_files.gadgetbridge_activity_sample",
    )[0]
    assert keys == len(BANDS) * 3 * MINUTES_PER_DAY
    assert rows == keys + 1  # every minute once, plus the rewritten minute's new version
    versions = _query(
        home,
        "select heart_rate from raw_files.gadgetbridge_activity_sample "
        f"where timestamp = to_timestamp({first_ts}) and sample_table = 'MI_BAND_ACTIVITY_SAMPLE' order by 1",
    )
    assert len(versions) == 2 and (199,) in versions
    assert _query(home, "select count(*) from raw_files.gadgetbridge_device")[0][0] == 3
    runs = sum(1 for day in newer_spec.day_list if day.toordinal() % 2 == 0)  # a run every second day
    assert _query(home, "select count(*) from raw_files.gadgetbridge_activity_summary")[0][0] == runs

    # the same database exported again (other bytes: a new battery reading) brings nothing new
    again = write_database(tmp_path / "c" / "Gadgetbridge", newer_spec)
    with sqlite3.connect(again) as connection:
        connection.execute('insert into "BATTERY_LEVEL" values (1709999999, 1, 42, 0)')
    three = outcome(import_paths([again], home))
    assert three.status == "duplicate" and "every row is already imported" in three.reason
    assert _query(home, "select count(*) from raw_files.gadgetbridge_activity_sample")[0][0] == rows


# ------------------------------------------------------------------------------------------------ facts


def test_the_writer_uses_the_real_table_and_column_names(shared_fixtures):
    """The test databases must look like Gadgetbridge's: their tables and columns are checked against the
    schema facts derived from Gadgetbridge's greenDAO generator (skipped when the fixtures are absent)."""
    facts_file = (
        shared_fixtures / "health" / "gadgetbridge" / "schema_facts" / "gadgetbridge_greendao_schema_v92.json"
    )
    if not facts_file.is_file():
        pytest.skip("no Gadgetbridge schema facts")
    facts = {
        e["table"]: [c["column"] for c in e["columns"]]
        for e in json.loads(facts_file.read_text())["entities"].values()
    }
    connection = sqlite3.connect(":memory:")
    for statement in SCHEMA:
        connection.execute(statement)
    for (name,) in connection.execute("select name from sqlite_master where type = 'table'").fetchall():
        if name in ("android_metadata", "sqlite_sequence"):
            continue
        columns = [row[1] for row in connection.execute(f'pragma table_info("{name}")')]
        assert columns == facts[name], name
