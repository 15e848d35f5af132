"""Snapshot swaps under a reader (pagination stays stable) and the export round trip."""

from __future__ import annotations

import io
import json
import threading
import zipfile

import duckdb
import pytest
from api_testkit import make_home, make_keys, use_home
from fastapi.testclient import TestClient
from snapshot_factory import build_snapshot

from api.app import create_app
from query.export import ExportInvalid, import_export, verify_export
from query.snapshot import SnapshotReader


@pytest.fixture
def private(tmp_path, monkeypatch):
    home = make_home(tmp_path / "home")
    return use_home(monkeypatch, home), make_keys(home)


def test_pagination_is_stable_while_the_snapshot_is_swapped(private):
    settings, keys = private
    headers = keys.auth(keys.ath_1)
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        first = client.get("/v1/activities", headers=headers, params={"limit": 10}).json()
        assert client.get("/health").json()["run_id"] == "run-v1"
        # A rebuild publishes a longer history (60 days instead of 30) mid-iteration.
        build_snapshot(settings.snapshot_path, days=60, tag="v2")
        assert client.get("/health").json()["run_id"] == "run-v2"
        seen = [a["activity_id"] for a in first["items"]]
        cursor = first["next_cursor"]
        while cursor:
            page = client.get(
                "/v1/activities", headers=headers, params={"limit": 10, "cursor": cursor}
            ).json()
            seen += [a["activity_id"] for a in page["items"]]
            cursor = page["next_cursor"]
    # The keyset continues where it stopped: nothing twice, and it runs on into the older days v2 added.
    assert len(seen) == len(set(seen)) == 60
    assert seen[:10] == [f"act_1_{d}" for d in range(10)]


def test_reader_opens_the_new_file_while_old_cursors_are_still_open(private):
    settings, _ = private
    reader = SnapshotReader(settings.snapshot_path)
    try:
        with reader.cursor() as old:
            assert old.one("SELECT count(*) AS n FROM openfit.activities")["n"] == 60
            build_snapshot(settings.snapshot_path, days=10, tag="v2")
            with reader.cursor() as new:
                assert new.one("SELECT count(*) AS n FROM openfit.activities")["n"] == 20
            # The old generation keeps answering from the file it opened.
            assert old.one("SELECT count(*) AS n FROM openfit.activities")["n"] == 60
    finally:
        reader.close()


def test_concurrent_reads_during_repeated_swaps_never_fail(private):
    settings, _ = private
    reader = SnapshotReader(settings.snapshot_path)
    errors: list[BaseException] = []
    counts: set[int] = set()
    stop = threading.Event()

    def read_loop() -> None:
        while not stop.is_set():
            try:
                with reader.cursor() as cur:
                    counts.add(cur.one("SELECT count(*) AS n FROM openfit.activities")["n"])
            except BaseException as exc:  # noqa: BLE001 - any failure is the test's finding
                errors.append(exc)
                return

    threads = [threading.Thread(target=read_loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for i, days in enumerate([10, 20, 10, 20, 15]):
            build_snapshot(settings.snapshot_path, days=days, samples_per_activity=10, tag=f"s{i}")
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        reader.close()
    assert errors == []
    # Readers only ever saw whole published versions (60 = the first; then 20, 40, 30 rows), never a mix.
    assert len(counts) >= 2 and counts <= {60, 20, 40, 30}


def _download_export(client, key) -> bytes:
    response = client.get("/v1/export", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith("attachment;")
    return response.content


def test_export_round_trip(private, tmp_path):
    settings, keys = private
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        archive = tmp_path / "export.zip"
        archive.write_bytes(_download_export(client, keys.ath_1))
    manifest = verify_export(archive)
    assert manifest["athletes"] == ["ath_1"]
    assert manifest["schema_version"] == "openfit/0.9.0"  # from openfit.spec_info
    paths = {f["path"] for f in manifest["files"]}
    assert {
        "openfit/activities.jsonl",
        "openfit/activities.parquet",
        "openfit/activity_samples.parquet",
        "openfit/sleep_stages.jsonl",
        "openfit/metrics.parquet",
    } <= paths

    # Re-import and compare with the snapshot, table by table, for ath_1 only.
    counts = import_export(archive, tmp_path / "reimported.duckdb")
    # Attached under an alias, as the readers do.
    source = duckdb.connect()
    source.execute(f"ATTACH '{settings.snapshot_path}' AS src (READ_ONLY)")
    source.execute("USE src")
    target = duckdb.connect(str(tmp_path / "reimported.duckdb"), read_only=True)
    try:
        assert counts["activities"] == 30 and counts["activity_samples"] == 30 * 600 + 10 * 120
        for table, where in [
            ("activities", "athlete_id = 'ath_1'"),
            ("sleep_sessions", "athlete_id = 'ath_1'"),
            ("activity_samples", "activity_id LIKE 'act_1_%'"),
        ]:
            expected = source.execute(f"SELECT * FROM openfit.{table} WHERE {where} ORDER BY ALL").fetchall()
            actual = target.execute(f"SELECT * FROM openfit.{table} ORDER BY ALL").fetchall()
            assert actual == expected, table
        assert target.execute(
            "SELECT count(*) FROM openfit.athletes WHERE athlete_id <> 'ath_1'"
        ).fetchone() == (0,)
    finally:
        source.close()
        target.close()

    # JSON Lines agree with Parquet, and times are ISO 8601 UTC.
    with zipfile.ZipFile(archive) as zf:
        lines = zf.read("openfit/activities.jsonl").decode().splitlines()
    first = json.loads(lines[0])
    assert len(lines) == 30 and first["start_time"].endswith("Z")


def test_a_tampered_export_fails_verification(private, tmp_path):
    settings, keys = private
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        original = _download_export(client, keys.ath_1)
    tampered = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "openfit/athletes.jsonl":
                data = data.replace(b"Athlete 1", b"Athlete X")
            dst.writestr(item.filename, data)
    path = tmp_path / "tampered.zip"
    path.write_bytes(tampered.getvalue())
    with pytest.raises(ExportInvalid, match="checksum"):
        verify_export(path)


def _home_with_blob(tmp_path, monkeypatch, payload: bytes):
    """A private home with one original file in its blob store; returns (settings, keys, the file's sha256)."""
    import hashlib

    home = make_home(tmp_path / "home")
    settings = use_home(monkeypatch, home)
    sha = hashlib.sha256(payload).hexdigest()
    (settings.blob_dir / sha[:2]).mkdir(parents=True)
    (settings.blob_dir / sha[:2] / sha).write_bytes(payload)
    return settings, make_keys(home), sha


def test_export_includes_stored_originals(tmp_path, monkeypatch):
    """When recordings name an original file (a *sha256 column), the blob travels in the export."""
    payload = b"FIT-file-bytes"
    settings, keys, sha = _home_with_blob(tmp_path, monkeypatch, payload)
    con = duckdb.connect(str(settings.snapshot_path))
    con.execute("ALTER TABLE openfit.activity_recordings ADD COLUMN original_sha256 VARCHAR")
    con.execute(
        "UPDATE openfit.activity_recordings SET original_sha256 = ? WHERE recording_id = 'rec_g_1_3'", [sha]
    )
    con.close()
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        archive = tmp_path / "export.zip"
        archive.write_bytes(_download_export(client, keys.ath_1))
        original = client.get("/v1/activities/act_1_3/original", headers=keys.auth(keys.ath_1))
        assert original.status_code == 200 and original.content == payload
        assert client.get("/v1/activities/act_1_3/original", headers=keys.auth(keys.ath_2)).status_code == 404
    manifest = verify_export(archive)
    assert {"path": f"originals/{sha}", "sha256": sha, "bytes": len(payload), "rows": None} in manifest[
        "files"
    ]


def test_file_recordings_point_at_their_original_blob(tmp_path, monkeypatch):
    """The file importer's recording ids (`files:<sha256>:<n>`) name the original file in the blob store."""
    payload = b"a .fit file"
    settings, keys, sha = _home_with_blob(tmp_path, monkeypatch, payload)
    con = duckdb.connect(str(settings.snapshot_path))
    for table in ("activity_recordings", "activities"):
        column = "recording_id" if table == "activity_recordings" else "primary_recording_id"
        con.execute(
            f"UPDATE openfit.{table} SET {column} = ? WHERE {column} = 'rec_g_2_4'", [f"files:{sha}:0"]
        )
    con.close()
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        original = client.get("/v1/activities/act_2_4/original", headers=keys.auth(keys.ath_2))
        assert original.status_code == 200 and original.content == payload
        archive = tmp_path / "export.zip"
        archive.write_bytes(_download_export(client, keys.ath_2))
    assert f"originals/{sha}" in {f["path"] for f in verify_export(archive)["files"]}


def test_every_imported_file_of_the_athlete_travels_not_only_activities(tmp_path, monkeypatch):
    """A monitoring or sleep file names no activity; the file-import log names it, and its owner gets it."""
    payload = b"a monitoring .fit file"
    settings, keys, sha = _home_with_blob(tmp_path, monkeypatch, payload)
    lost = "f" * 64  # logged, but not in this home's blob store
    con = duckdb.connect(str(settings.snapshot_path))
    con.execute("CREATE TABLE openfit.file_imports (athlete_id VARCHAR, sha256 VARCHAR, status VARCHAR)")
    con.execute(
        "INSERT INTO openfit.file_imports VALUES ('ath_1', ?, 'imported'), ('ath_1', ?, 'imported')",
        [sha, lost],
    )
    con.close()
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        mine, theirs = tmp_path / "mine.zip", tmp_path / "theirs.zip"
        mine.write_bytes(_download_export(client, keys.ath_1))
        theirs.write_bytes(_download_export(client, keys.ath_2))
    manifest = verify_export(mine)
    paths = {f["path"]: f for f in manifest["files"]}
    assert f"originals/{sha}" in paths and paths["openfit/file_imports.parquet"]["rows"] == 2
    assert manifest["missing_originals"] == [lost]
    other = verify_export(theirs)
    assert f"originals/{sha}" not in {f["path"] for f in other["files"]}
    assert {f["path"]: f for f in other["files"]}["openfit/file_imports.parquet"]["rows"] == 0


def test_large_tables_are_exported_in_bounded_batches(private, tmp_path, monkeypatch):
    """Parquet goes out one batch (row group) at a time, so memory does not grow with the table; the rows
    are the same as in one piece."""
    import pyarrow.parquet as pq

    monkeypatch.setattr("query.export.PARQUET_BATCH_ROWS", 1000)
    settings, keys = private
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        archive = tmp_path / "export.zip"
        archive.write_bytes(_download_export(client, keys.ath_1))
    verify_export(archive)
    with zipfile.ZipFile(archive) as zf:
        samples = pq.ParquetFile(io.BytesIO(zf.read("openfit/activity_samples.parquet")))
    assert samples.metadata.num_rows == 30 * 600 + 10 * 120
    assert samples.metadata.num_row_groups == -(-samples.metadata.num_rows // 1000)
    assert (
        import_export(archive, tmp_path / "restored.duckdb")["activity_samples"] == samples.metadata.num_rows
    )
