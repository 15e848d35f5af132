"""Apple Health exports: recognised by content, streamed into Arrow tables, devices normalised, damage kept
partial, hostile XML refused, and re-imports of newer exports adding only what is new."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import duckdb
import pyarrow.compute as pc
import pytest
from apple_health_samples import ExportSpec, export_xml_bytes, write_export_zip

from ingestion.files.apple_health import decode_apple_health, parse_device
from ingestion.files.decode import decode_bytes, decode_path, sniff
from ingestion.files.importer import import_paths
from openfit.settings import Settings

SPEC = ExportSpec(days=4)


@pytest.fixture(scope="module")
def export_xml() -> bytes:
    return export_xml_bytes(SPEC)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "home"))
    return Settings()


def _query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _type_counts(table) -> dict[str, int]:
    counts = pc.value_counts(table.column("type").combine_chunks().cast("string")).to_pylist()
    return {row["values"]: row["counts"] for row in counts}


# ------------------------------------------------------------------------------------------------ sniffing


def test_recognised_by_its_root_element_not_its_name(export_xml):
    assert sniff(export_xml[: 1 << 20]) == "apple_health"
    assert decode_bytes(export_xml, "holiday-photos.jpg").format == "apple_health"
    other_root = b'<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"/>'
    decoded = decode_bytes(other_root, "export.xml")
    assert decoded.status == "quarantined" and "<ClinicalDocument>" in decoded.reason


def test_folder_and_zip_members_are_found_by_content(tmp_path, home, export_xml):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "health-backup.dat").write_bytes(export_xml)  # renamed: still an export
    (folder / "export_cda.xml").write_bytes(b'<?xml version="1.0"?><ClinicalDocument/>')  # not ours
    (folder / "notes.txt").write_text("not xml at all")
    summary = import_paths([folder], home)
    assert [(o.original_name.rsplit("/", 1)[-1], o.status, o.format) for o in summary.outcomes] == [
        ("health-backup.dat", "imported", "apple_health")
    ]
    assert summary.skipped == 2


# ------------------------------------------------------------------------------------------------ decoding


def test_decodes_records_workouts_and_devices(export_xml):
    decoded = decode_apple_health(io.BytesIO(export_xml))
    assert decoded.status == "imported", decoded.reason
    records = decoded.tables["record"]
    counts = _type_counts(records)
    assert counts["HKQuantityTypeIdentifierHeartRate"] == 4 * 288
    assert counts["HKQuantityTypeIdentifierHeartRateVariabilitySDNN"] == 4
    assert counts["HKQuantityTypeIdentifierStepCount"] == 4 * 15 * 2  # phone and watch
    # the blood-pressure correlation repeats its two records: they are skipped, not doubled
    assert counts["HKQuantityTypeIdentifierBloodPressureSystolic"] == 1
    assert "records inside correlations skipped" in decoded.warnings[0]

    # one device per real device although every record carries another HKDevice address
    devices = decoded.tables["device"].to_pylist()
    assert sorted((d["name"], d["model"], d["hardware"]) for d in devices) == [
        ("Apple Watch", "Watch", "Watch6,2"),
        ("iPhone", "iPhone", "iPhone14,2"),
    ]
    steps = records.filter(
        pc.equal(records.column("type").cast("string"), "HKQuantityTypeIdentifierStepCount")
    )
    assert len(set(steps.column("device_key").cast("string").to_pylist())) == 2

    # dates: UTC with the local offset kept; numbers parsed, categories kept as text
    first_hr = (
        records.filter(pc.equal(records.column("type").cast("string"), "HKQuantityTypeIdentifierHeartRate"))
        .slice(0, 1)
        .to_pylist()[0]
    )
    assert first_hr["start_offset_min"] == 120
    assert first_hr["start_date"].hour == 22 and first_hr["start_date"].day == 3  # 00:0x local on 4 March
    assert first_hr["unit"] == "count/min" and first_hr["value_num"] == float(first_hr["value"])
    assert '"HKMetadataKeyHeartRateMotionContext"' in first_hr["metadata"]
    sleep = records.filter(
        pc.equal(records.column("type").cast("string"), "HKCategoryTypeIdentifierSleepAnalysis")
    ).to_pylist()
    stages = {row["value"] for row in sleep}
    assert {"HKCategoryValueSleepAnalysisInBed", "HKCategoryValueSleepAnalysisAsleepDeep"} <= stages
    assert all(row["value_num"] is None and "Europe/Amsterdam" in row["metadata"] for row in sleep)

    workouts = decoded.tables["workout"].to_pylist()
    assert len(workouts) == 2 and workouts[0]["total_distance_unit"] == "km"
    keys = {w["workout_key"] for w in workouts}
    assert {e["workout_key"] for e in decoded.tables["workout_event"].to_pylist()} == keys
    assert decoded.tables["workout_statistics"].num_rows == 6
    assert decoded.tables["workout_route"].column("path").to_pylist()[0].startswith("/workout-routes/route_")
    assert decoded.tables["export"].column("locale").to_pylist() == ["en_NL"]


def test_same_measurement_has_the_same_key_in_every_export():
    first = decode_apple_health(io.BytesIO(export_xml_bytes(ExportSpec(days=2, export_seed=1))))
    later = decode_apple_health(io.BytesIO(export_xml_bytes(ExportSpec(days=3, export_seed=9))))
    first_keys = set(first.tables["record"].column("record_key").to_pylist())
    later_keys = set(later.tables["record"].column("record_key").to_pylist())
    assert first_keys < later_keys  # device addresses changed; keys did not


def test_hkdevice_strings():
    watch = (
        "<<HKDevice: 0x3012772a0>, name:Apple Watch, manufacturer:Apple Inc., model:Watch, "
        "hardware:Watch6,7, software:10.2>"
    )
    assert parse_device(watch) == {
        "name": "Apple Watch",
        "manufacturer": "Apple Inc.",
        "model": "Watch",
        "hardware": "Watch6,7",
        "software": "10.2",
    }
    assert parse_device("<Watch6,4>") == {"name": "Watch6,4"}
    assert parse_device("") is None


def test_truncated_export_is_partial_and_keeps_everything_before_the_damage(export_xml):
    cut = len(export_xml) // 2
    decoded = decode_apple_health(io.BytesIO(export_xml[:cut]))
    assert decoded.status == "partial"
    assert "truncated or damaged at line" in decoded.reason and "records" in decoded.reason
    full = decode_apple_health(io.BytesIO(export_xml)).tables["record"]
    kept = decoded.tables["record"]
    assert 0 < kept.num_rows < full.num_rows
    # the records before the cut are all there, identical
    assert kept.column("record_key").to_pylist() == full.column("record_key").to_pylist()[: kept.num_rows]
    complete_before_cut = export_xml[:cut].count(b"<Record ") - export_xml[:cut].count(b"  <Record ")
    assert kept.num_rows >= complete_before_cut - 1  # at most the record being cut is lost


@pytest.mark.parametrize(
    ("doctype", "words"),
    [
        ('<!DOCTYPE HealthData [<!ENTITY a "aaaaaaaaaa">]>', "declares entity"),
        ('<!DOCTYPE HealthData [<!ENTITY x SYSTEM "http://example.invalid/x">]>', "entity"),
    ],
)
def test_entities_are_refused(doctype, words):
    data = (
        f'<?xml version="1.0"?>{doctype}<HealthData locale="en"><Record type="t" value="&a;"/></HealthData>'
    )
    decoded = decode_bytes(data.encode())
    assert decoded.status == "quarantined" and words in decoded.reason


def test_real_exports_from_the_shared_fixtures(shared_fixtures):
    folder = shared_fixtures / "health" / "apple_health"
    if not folder.is_dir():
        pytest.skip("no Apple Health fixtures")
    big = decode_path(folder / "export.xml")
    assert big.status == "imported" and big.tables["record"].num_rows == 10939
    assert big.tables["workout"].num_rows == 61
    cut = decode_path(folder / "exportSmall.xml")  # a hand-cut sample with a stray </Record>
    assert cut.status == "partial" and "mismatched tag" in cut.reason and cut.record_count == 17
    two_addresses = decode_path(folder / "apple_health_parser" / "export.xml")
    assert two_addresses.tables["device"].num_rows == 1  # 0x3012772a0 and 0x3008d6850: one watch


# ------------------------------------------------------------------------------------------------ import


@pytest.mark.timeout(300)
def test_newer_exports_add_only_what_is_new(tmp_path, home):
    march_7 = date(2024, 3, 7)
    first = tmp_path / "export-march.zip"
    write_export_zip(first, ExportSpec(days=4, export_seed=1))
    newer = tmp_path / "export-april.zip"
    write_export_zip(newer, ExportSpec(days=6, export_seed=2, edited_weights={march_7: 69.5}))
    same_again = tmp_path / "export-april-again.zip"  # same account data, new addresses: other bytes
    write_export_zip(same_again, ExportSpec(days=6, export_seed=3, edited_weights={march_7: 69.5}))

    def apple(summary):
        [outcome] = [o for o in summary.outcomes if o.format == "apple_health"]
        return outcome

    one = apple(import_paths([first], home))
    assert one.status == "imported"
    loaded_first = _query(home, "select count(*) from raw_files.apple_health_record")[0][0]

    two = apple(import_paths([newer], home))
    assert two.status == "imported"
    assert "already imported from an earlier export" in " ".join(two.warnings)
    new_days = decode_apple_health(io.BytesIO(export_xml_bytes(ExportSpec(days=6)))).record_count
    total = _query(home, "select count(*), count(distinct record_key) from raw_files.apple_health_record")[0]
    assert total == (new_days + 1, new_days)  # everything once, plus the edited weight's new version
    weights = _query(
        home,
        "select value from raw_files.apple_health_record where type = 'HKQuantityTypeIdentifierBodyMass' "
        "and start_date = timestamptz '2024-03-07 07:12:00+02:00' order by value",
    )
    values = [w[0] for w in weights]
    assert len(values) == 2 and "69.5" in values  # the first export's value and the edited one
    assert _query(home, "select count(*) from raw_files.apple_health_device")[0][0] == 2
    assert loaded_first < total[0]

    three = apple(import_paths([same_again], home))
    assert three.status == "duplicate" and "every row is already imported" in three.reason
    assert _query(home, "select count(*) from raw_files.apple_health_record")[0] == (new_days + 1,)


@pytest.mark.timeout(300)
def test_truncated_export_zip_lands_what_precedes_the_damage(tmp_path, home):
    path = tmp_path / "export.zip"
    full = export_xml_bytes(ExportSpec(days=3))
    write_export_zip(path, ExportSpec(days=3), truncate_xml_at=len(full) * 2 // 3)
    with zipfile.ZipFile(path) as archive:
        assert "apple_health_export/export_cda.xml" in archive.namelist()
    summary = import_paths([path], home)
    [outcome] = [o for o in summary.outcomes if o.format == "apple_health"]
    assert outcome.status == "partial" and "truncated or damaged" in outcome.reason
    loaded = _query(home, "select count(*) from raw_files.apple_health_record")[0][0]
    assert loaded == outcome.records > 0
    logged = _query(home, "select status, reason from raw_files.file_imports where format = 'apple_health'")
    assert logged == [("partial", outcome.reason)]
