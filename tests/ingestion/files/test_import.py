"""End to end into a real DuckDB warehouse: import_paths loads raw_files with provenance and an import log;
re-import is a no-op; export archives carry their metadata; bad files are logged, not loaded."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

import duckdb
import fit_samples as samples
import pyarrow as pa
import pytest

from ingestion.files.importer import import_paths
from ingestion.files.source import _TypeReconciler, warehouse_state
from openfit.settings import Settings

GPX = b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg><trkpt lat="46.5" lon="15.5"><time>2024-05-01T06:00:00Z</time></trkpt></trkseg></trk></gpx>'
STRAVA_CSV = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Commute,"
    "Activity Gear,Filename\n"
    '111,"May 1, 2024",Morning Run,Run,,600,false,Pegasus 40,activities/111.fit.gz\n'
    '222,"May 2, 2024",To work,Ride,,900,true,Commuter,activities/222.gpx\n'
)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _query(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture
def home(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "home"))
    return Settings()


@pytest.mark.timeout(300)
def test_import_loads_tables_with_provenance_and_reimport_is_a_noop(tmp_path, home):
    inbox = tmp_path / "drop"
    inbox.mkdir()
    (inbox / "run.fit").write_bytes(samples.activity(n=60, developer_field=True, hrv=True))
    (inbox / "multi.fit").write_bytes(samples.multisport(n_each=30))
    (inbox / "copy-of-run.fit").write_bytes(samples.activity(n=60, developer_field=True, hrv=True))
    (inbox / "cut.fit").write_bytes(samples.activity(n=60)[:700])
    (inbox / "photo.gpx").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (inbox / "strava_export.zip").write_bytes(
        _zip(
            {
                "activities.csv": STRAVA_CSV.encode(),
                "activities/111.fit.gz": gzip.compress(samples.compressed_timestamps(n=25)[0]),
                "activities/222.gpx": GPX,
            }
        )
    )
    uploads = _zip({"a.fit": samples.zero_header_crc_activity(n=12)})
    (inbox / "garmin_export.zip").write_bytes(
        _zip({"DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": uploads})
    )

    progress = []
    summary = import_paths([inbox], home, progress=progress.append)
    statuses = {o.original_name.rsplit("/", 1)[-1]: o.status for o in summary.outcomes}
    twins = sorted([statuses.pop("run.fit"), statuses.pop("copy-of-run.fit")])
    assert twins == ["duplicate", "imported"]  # which of two identical files is the copy follows walk order
    assert statuses == {
        "111.fit": "imported",
        "222.gpx": "imported",
        "a.fit": "imported",
        "cut.fit": "partial",
        "multi.fit": "imported",
        "photo.gpx": "quarantined",
    }
    assert summary.duplicate == 1 and summary.quarantined == 1 and summary.partial == 1
    assert summary.exit_code == 3
    assert progress and progress[-1].files_done == progress[-1].files_total == 8
    cut = next(o for o in summary.outcomes if o.original_name.endswith("cut.fit"))
    assert 0 < cut.records < 60
    assert summary.records == 60 + 60 + 25 + 1 + 12 + cut.records

    fit_records = _query(
        home,
        "select file_sha256, parser, parser_version, count(*), count(dev_form_power) "
        "from raw_files.fit_record group by all order by 5 desc, 4 desc",  # the file with the developer field first
    )
    assert fit_records[0][1] == "fitfast" and fit_records[0][2].startswith("0.1.0")
    assert fit_records[0][3] == 60 and fit_records[0][4] == 60
    log = _query(
        home,
        "select original_name, status, reason, parser, metadata, sha256 from raw_files.file_imports "
        "order by original_name",
    )
    by_name = {row[0].rsplit("/", 1)[-1]: row for row in log}
    assert by_name["photo.gpx"][1] == "quarantined" and "PNG image" in by_name["photo.gpx"][2]
    assert by_name["cut.fit"][1] == "partial" and "truncated" in by_name["cut.fit"][2]
    assert by_name["cut.fit"][3] == "fitfast+salvage"
    strava = json.loads(by_name["111.fit"][4])
    assert strava["strava_name"] == "Morning Run" and strava["strava_gear"] == "Pegasus 40"
    assert json.loads(by_name["222.gpx"][4])["strava_commute"] is True
    assert _query(home, "select count(*) from raw_files.fit_session")[0][0] == 1 + 2 + 0
    assert _query(home, "select count(*) from raw_files.fit_hrv")[0][0] == 12
    assert _query(home, "select count(*) from raw_files.gpx_record")[0][0] == 1
    sha = by_name["run.fit"][5] or by_name["copy-of-run.fit"][5]
    blob = home.blob_dir / sha[:2] / sha
    assert blob.read_bytes() == (inbox / "run.fit").read_bytes()

    before = {
        table: _query(home, f"select count(*) from raw_files.{table}")[0][0]
        for table in ("fit_record", "file_imports", "gpx_record", "fit_session")
    }
    again = import_paths([inbox], home)
    assert {o.status for o in again.outcomes} == {"duplicate", "quarantined"}
    assert again.duplicate == 7 and again.quarantined == 1  # the non-fitness file is reported again
    after = {
        table: _query(home, f"select count(*) from raw_files.{table}")[0][0]
        for table in ("fit_record", "gpx_record", "fit_session")
    }
    assert after == {k: v for k, v in before.items() if k != "file_imports"}


def test_type_conflicts_across_files_go_to_variant_columns():
    reconcile = _TypeReconciler({})
    first = reconcile("fit_x", pa.table({"a": pa.array([1]), "b": pa.array(["x"]), "c": pa.array([1.5])}))
    assert first.schema.field("a").type == pa.int64()
    second = reconcile(
        "fit_x",
        pa.table({"a": pa.array(["running"]), "b": pa.array([7]), "c": pa.array([2]), "d": pa.nulls(1)}),
    )
    assert second.column_names == ["a__v_text", "b", "c"]
    assert second.column("b").to_pylist() == ["7"] and second.column("c").to_pylist() == [2.0]


def test_warehouse_types_steer_later_files_to_variant_columns(home):
    home.ensure_dirs()
    with duckdb.connect(str(home.warehouse_path)) as connection:
        connection.execute("create schema raw_files")
        connection.execute(
            "create table raw_files.fit_device_info (device_index bigint, dev_form_power double)"
        )
        connection.execute("create table raw_files.file_imports (sha256 varchar, status varchar)")
        connection.execute(
            "insert into raw_files.file_imports values ('abc', 'imported'), ('def', 'quarantined')"
        )
    state = warehouse_state(home)
    assert state.hashes == {"abc"}
    assert state.types["fit_device_info"] == {"device_index": pa.int64(), "dev_form_power": pa.float64()}
    reconcile = _TypeReconciler(state.types)
    table = reconcile(
        "fit_device_info", pa.table({"device_index": pa.array(["creator"]), "dev_Form Power": pa.array([3])})
    )
    assert table.column_names == ["device_index__v_text", "dev_Form Power"]
    assert table.column("dev_Form Power").type == pa.float64()


def _interrupt_an_import(settings: Settings, folder, stage: str) -> None:
    """Leave what an import killed before its load leaves: a dlt package extracted (or also normalized),
    never loaded."""
    from ingestion.files.source import ImportSummary, files_source
    from ingestion.pipelines import provider_pipeline

    pipeline = provider_pipeline("files", settings)
    source = files_source(paths=[str(folder)], settings=settings, summary=ImportSummary(), workers=1)
    pipeline.extract(source, loader_file_format="parquet")
    if stage == "normalized":
        pipeline.normalize()
    assert pipeline.has_pending_data


@pytest.mark.timeout(300)
@pytest.mark.parametrize("stage", ["extracted", "normalized"])
def test_an_import_after_an_interrupted_one_finishes_it_and_loads_its_own_files(tmp_path, home, stage):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "monday.fit").write_bytes(samples.activity(n=20))
    (second / "tuesday.fit").write_bytes(samples.activity(n=30))
    (second / "monday-again.fit").write_bytes(samples.activity(n=20))  # the interrupted run's file, again
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "sunday.fit").write_bytes(samples.activity(n=10))
    assert import_paths([earlier], home, workers=1).imported == 1  # a warehouse that has loaded before
    _interrupt_an_import(home, first, stage)

    summary = import_paths([second], home, workers=1)
    assert summary.finished_packages == 1
    statuses = {o.original_name.rsplit("/", 1)[-1]: o.status for o in summary.outcomes}
    assert statuses == {"tuesday.fit": "imported", "monday-again.fit": "duplicate"}
    log = _query(home, "select original_name, status from raw_files.file_imports order by original_name")
    assert sorted((name.rsplit("/", 1)[-1], status) for name, status in log) == [
        ("monday.fit", "imported"),
        ("sunday.fit", "imported"),
        ("tuesday.fit", "imported"),
    ]  # the duplicate already in the warehouse is only reported, as on any re-import
    assert _query(home, "select count(*) from raw_files.fit_record") == [(10 + 20 + 30,)]  # nothing twice
    assert not _has_pending_data(home)


def _has_pending_data(settings: Settings) -> bool:
    from ingestion.pipelines import provider_pipeline

    return provider_pipeline("files", settings).has_pending_data


@pytest.mark.timeout(300)
def test_the_raw_files_asset_finishes_an_interrupted_import_and_still_imports_the_inbox(tmp_path, home):
    # The inbox job and refresh_all run the files source through dagster-dlt, whose run had the same gap.
    import dagster as dg
    from dagster_dlt import DagsterDltResource

    from ingestion.files import PROVIDER
    from orchestration.defs.ingest import provider_assets

    earlier, interrupted = tmp_path / "earlier", tmp_path / "interrupted"
    earlier.mkdir()
    interrupted.mkdir()
    (earlier / "sunday.fit").write_bytes(samples.activity(n=10))
    (interrupted / "monday.fit").write_bytes(samples.activity(n=20))
    assert import_paths([earlier], home, workers=1).imported == 1
    _interrupt_an_import(home, interrupted, "normalized")
    home.inbox_dir.mkdir(parents=True, exist_ok=True)
    (home.inbox_dir / "tuesday.fit").write_bytes(samples.activity(n=30))

    result = dg.materialize([provider_assets(PROVIDER)], resources={"dlt": DagsterDltResource()})
    assert result.success
    log = _query(home, "select original_name, status from raw_files.file_imports")
    assert sorted((name.rsplit("/", 1)[-1], status) for name, status in log) == [
        ("monday.fit", "imported"),
        ("sunday.fit", "imported"),
        ("tuesday.fit", "imported"),
    ]
    assert _query(home, "select count(*) from raw_files.fit_record") == [(10 + 20 + 30,)]
    assert not _has_pending_data(home)
