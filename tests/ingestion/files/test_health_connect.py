"""Android Health Connect exports: recognised by their tables (not their names), read read-only in chunks
into raw_files.health_connect_*, damaged databases quarantined or partial, and re-imports of newer exports
adding only new or edited records."""

from __future__ import annotations

import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.compute as pc
import pytest
from health_connect_samples import ExportSpec, write_export_db, write_export_zip

from ingestion.files import health_connect
from ingestion.files.decode import decode_bytes, decode_path, sniff
from ingestion.files.health_connect import decode_health_connect
from ingestion.files.importer import import_paths
from ingestion.files.sqlite_formats import sqlite_format
from openfit.settings import Settings

SPEC = ExportSpec(days=3)


@pytest.fixture(scope="module")
def export_db(tmp_path_factory) -> Path:
    return write_export_db(tmp_path_factory.mktemp("hc") / "health_connect_export.db", SPEC)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "home"))
    return Settings()


def _query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _other_sqlite(path: Path) -> Path:
    """Another app's database: SQLite, with neither Health Connect's nor Gadgetbridge's tables."""
    with sqlite3.connect(path) as connection:
        connection.execute("create table contacts (_id INTEGER PRIMARY KEY, display_name TEXT)")
        connection.execute("create table android_metadata (locale TEXT)")
    connection.close()
    return path


# --------------------------------------------------------------------------------------------- recognition


def test_recognised_by_its_tables_not_its_name(export_db, tmp_path):
    head = export_db.read_bytes()[:4096]
    assert sniff(head) == "sqlite"
    assert sqlite_format(export_db) == "health_connect"
    assert decode_bytes(export_db.read_bytes(), "holiday.jpg").format == "health_connect"
    other = _other_sqlite(tmp_path / "contacts2.db")
    assert sqlite_format(other) == "other"
    decoded = decode_path(other)
    assert (
        decoded.status == "quarantined"
        and "nor a Health Connect export: an SQLite database without their tables" in decoded.reason
    )


def test_zip_and_folder_members_are_found_by_content(tmp_path, home):
    drop = tmp_path / "drop"
    drop.mkdir()
    write_export_zip(drop / "my phone backup.zip", SPEC, db_name="store.sqlite")  # neither name is Google's
    write_export_db(drop / "hc-copy.bin", ExportSpec(days=1, end_date=date(2024, 3, 6)))
    _other_sqlite(drop / "contacts2.db")  # another app's database: skipped, not quarantined
    with zipfile.ZipFile(drop / "misc.zip", "w") as archive:
        archive.write(_other_sqlite(tmp_path / "other.db"), "other.db")
    summary = import_paths([drop], home)
    formats = sorted((o.format, o.status) for o in summary.outcomes)
    assert formats == [("health_connect", "imported"), ("health_connect", "imported")], summary.outcomes
    assert summary.skipped >= 2
    logged = _query(home, "select original_name, source_archive from raw_files.file_imports order by 1")
    assert logged[1][0] == "store.sqlite" and logged[1][1].endswith("my phone backup.zip")
    provenance = _query(home, "select distinct parser, parser_version from raw_files.health_connect_record")
    assert provenance == [(health_connect.PARSER, health_connect.PARSER_VERSION)]


# ------------------------------------------------------------------------------------------------- decode


def test_decodes_records_samples_sleep_and_routes(export_db):
    decoded = decode_health_connect(export_db)
    assert decoded.status == "imported" and decoded.format == "health_connect"
    assert "hydration_record_table" in decoded.warnings[0]  # kept out, and said so
    records = decoded.tables["record"]
    kinds = pc.value_counts(records.column("record_type").combine_chunks()).to_pylist()
    counts = {row["values"]: row["counts"] for row in kinds}
    runs = 1  # days 8..10 of March: a run on the 9th (every other day from the 4th)
    assert counts["steps"] == SPEC.days * 13 * 2
    assert counts["heart_rate"] == SPEC.days * 24 + runs
    assert counts["sleep_session"] == SPEC.days and counts["exercise_session"] == runs
    assert counts["heart_rate_variability_rmssd"] == SPEC.days
    assert counts["weight"] == counts["body_fat"] == 2  # 8th and 10th
    for kind in ("resting_heart_rate", "respiratory_rate", "oxygen_saturation", "distance"):
        assert counts[kind] >= SPEC.days
    assert len(set(records.column("uuid").to_pylist())) == records.num_rows

    rows = records.to_pylist()
    weight = next(r for r in rows if r["record_type"] == "weight")
    assert weight["unit"] == "g" and 68_000 < weight["value"] < 72_000
    assert weight["start_time"] == weight["end_time"] and weight["start_offset_s"] == 3600
    run = next(r for r in rows if r["record_type"] == "exercise_session")
    assert (run["sport"], run["exercise_type"], run["title"]) == ("running", 56, "Evening run")
    assert run["start_time"].hour == 17  # 18:00 local at UTC+1
    assert {r["recording_method"] for r in rows} == {"automatically_recorded"}

    devices = decoded.tables["device"].to_pylist()
    assert sorted((d["app_package"], d["device_type"]) for d in devices) == [
        ("com.google.android.apps.fitness", "phone"),
        ("com.sec.android.app.shealth", "watch"),
        ("com.withings.wiscale2", "scale"),
    ]
    assert set(records.column("device_key").to_pylist()) == {d["device_key"] for d in devices}

    samples = decoded.tables["heart_rate_sample"]
    assert samples.num_rows == SPEC.days * 24 * 12 + runs * (360 - 7)  # the run's own series replaces 7
    assert pc.min(samples.column("beats_per_minute")).as_py() >= 40
    stages = decoded.tables["sleep_stage"].to_pylist()
    assert len(stages) == SPEC.days * 16 and {s["stage"] for s in stages} == {"awake", "light", "deep", "rem"}
    route = decoded.tables["exercise_route"]
    assert route.num_rows == 180 and route.column("record_uuid").unique().to_pylist() == [run["uuid"]]
    assert decoded.tables["exercise_lap"].num_rows == 3
    [export] = decoded.tables["export"].to_pylist()
    assert export["user_version"] == 10 and "steps_record_table" in export["record_tables"]


def test_device_keys_are_stable_across_exports(tmp_path):
    one = decode_health_connect(write_export_db(tmp_path / "a.db", ExportSpec(days=1)))
    two = decode_health_connect(write_export_db(tmp_path / "b.db", ExportSpec(days=2, locale="de_DE")))
    keys = lambda d: sorted(d.tables["device"].column("device_key").to_pylist())  # noqa: E731
    assert keys(one) == keys(two)


def test_small_chunks_give_the_same_tables(export_db, monkeypatch):
    whole = decode_health_connect(export_db)
    monkeypatch.setattr(health_connect, "CHUNK_ROWS", 7)
    chunked = decode_health_connect(export_db)
    assert chunked.counts() == whole.counts()
    assert chunked.tables["record"].equals(whole.tables["record"])


def test_the_database_is_opened_read_only(export_db):
    before = export_db.stat().st_mtime_ns, sorted(p.name for p in export_db.parent.iterdir())
    decode_health_connect(export_db)
    assert (export_db.stat().st_mtime_ns, sorted(p.name for p in export_db.parent.iterdir())) == before


# ------------------------------------------------------------------------------------------------ damage


def test_damaged_databases_are_quarantined_with_the_reason(export_db, tmp_path):
    data = export_db.read_bytes()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(data[:100] + b"\x00\xff" * 4000)  # an SQLite header, then noise
    decoded = decode_path(garbage)
    assert decoded.status == "quarantined"
    assert decoded.reason.startswith("damaged SQLite database: its table list is unreadable")

    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(data[: len(data) // 2])
    decoded = decode_path(truncated)
    assert decoded.status == "quarantined" and decoded.reason.startswith("damaged")


def test_a_damaged_table_keeps_the_other_tables_and_is_partial(export_db, tmp_path):
    with sqlite3.connect(export_db) as connection:
        [(root,)] = connection.execute(
            "select rootpage from sqlite_master where name = 'body_fat_record_table'"
        ).fetchall()
    connection.close()
    data = bytearray(export_db.read_bytes())
    page = 4096
    data[(root - 1) * page : root * page] = b"\xab" * page  # the table's root page overwritten
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(bytes(data))
    decoded = decode_path(damaged)
    assert decoded.status == "partial"
    assert "body_fat_record_table: database disk image is malformed" in decoded.reason
    kinds = set(decoded.tables["record"].column("record_type").to_pylist())
    assert "body_fat" not in kinds and {"weight", "steps", "sleep_session"} <= kinds


def test_a_damaged_export_is_quarantined_and_the_rest_of_the_batch_lands(export_db, tmp_path, home):
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "good.db").write_bytes(export_db.read_bytes())
    data = export_db.read_bytes()
    (batch / "bad.db").write_bytes(data[:100] + bytes(range(256)) * 64)
    summary = import_paths([batch], home)
    statuses = {o.original_name.rsplit("/", 1)[-1]: (o.status, o.reason) for o in summary.outcomes}
    assert statuses["good.db"][0] == "imported"
    assert statuses["bad.db"][0] == "quarantined" and "damaged" in statuses["bad.db"][1]
    assert summary.exit_code == 3
    logged = _query(home, "select status from raw_files.file_imports where original_name like '%bad.db'")
    assert logged == [("quarantined",)]
    assert _query(home, "select count(*) from raw_files.health_connect_record")[0][0] > 0


# ---------------------------------------------------------------------------------------------- re-import


@pytest.mark.timeout(300)
def test_newer_exports_add_only_new_and_edited_records(tmp_path, home):
    edited_day = date(2024, 3, 6)  # a weigh-in day (every other day from the 4th)
    first = write_export_zip(tmp_path / "march-8.zip", ExportSpec(days=5, end_date=date(2024, 3, 8)))
    newer = write_export_zip(tmp_path / "march-10.zip", ExportSpec(days=7, edited_weights={edited_day: 68.4}))
    again = write_export_zip(  # the same store exported again: other bytes, the same records
        tmp_path / "march-10-again.zip", ExportSpec(days=7, edited_weights={edited_day: 68.4}, locale="fr_FR")
    )

    def outcome(summary):
        [hc] = [o for o in summary.outcomes if o.format == "health_connect"]
        return hc

    assert outcome(import_paths([first], home)).status == "imported"
    count_sql = "select count(*), count(distinct uuid) from raw_files.health_connect_record"
    first_records = _query(home, count_sql)[0][0]
    first_samples = _query(home, "select count(*) from raw_files.health_connect_heart_rate_sample")[0][0]

    two = outcome(import_paths([newer], home))
    assert two.status == "imported" and "already imported from an earlier export" in " ".join(two.warnings)
    everything = decode_health_connect(write_export_db(tmp_path / "all.db", ExportSpec(days=7)))
    total = everything.tables["record"].num_rows
    assert _query(home, count_sql)[0] == (total + 1, total)  # every record once, the edited weight twice
    weights = _query(
        home,
        "select value, last_modified_time > timestamptz '2024-03-09' from raw_files.health_connect_record "
        "where record_type = 'weight' and cast(start_time as date) = date '2024-03-06' order by 2",
    )
    assert len(weights) == 2 and weights[1] == (68_400.0, True)
    samples = _query(home, "select count(*) from raw_files.health_connect_heart_rate_sample")[0][0]
    assert samples == everything.tables["heart_rate_sample"].num_rows > first_samples
    assert _query(home, "select count(*) from raw_files.health_connect_device")[0][0] == 3
    assert first_records < total

    three = outcome(import_paths([again], home))
    assert three.status == "duplicate" and "already imported from an earlier export" in three.reason
    assert _query(home, count_sql)[0] == (total + 1, total)
