"""The account export carries the provider payloads (raw layer) of the caller's athletes, complete against the
warehouse, and they round-trip; the publisher copies them to serving/raw_payloads.duckdb only when the raw
layer changed. Runs on the session's real fixture warehouse (synthetic provider -> dlt -> dbt -> publish)."""

from __future__ import annotations

import io
import json
import zipfile

import duckdb
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore
from orchestration.publish import publish_snapshot
from query.export import import_export, verify_export
from query.snapshot import RAW_ATHLETE_COLUMN, SnapshotIdentity

pytestmark = pytest.mark.slow


def warehouse_rows(settings, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def exported(fixture_warehouse, tmp_path, monkeypatch) -> tuple:
    """One athlete's export from the real snapshot, written to a file."""
    settings = fixture_warehouse
    athlete = warehouse_rows(settings, "select min(athlete_id) from raw_synthetic.athletes")[0][0]
    store = KeyStore(tmp_path / "api_keys.json")
    key = store.create([athlete])[0]
    monkeypatch.setattr("api.deps.key_store", lambda _settings: store)
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        response = client.get("/v1/export", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    path = tmp_path / "export.zip"
    path.write_bytes(response.content)
    return settings, athlete, path


def test_every_payload_table_of_the_athlete_is_exported_complete(exported):
    settings, athlete, path = exported
    manifest = verify_export(path)
    assert manifest["raw_payloads"] == "included"
    entries = {e["path"]: e for e in manifest["files"]}
    tables = [
        t
        for (t,) in warehouse_rows(
            settings,
            "select table_name from information_schema.tables where table_schema = 'raw_synthetic' "
            "and not starts_with(table_name, '_dlt_') order by 1",
        )
    ]
    assert {"activities", "activity_streams", "sleep", "daily_summaries"} <= set(tables)
    with zipfile.ZipFile(path) as zf:
        for table in tables:
            entry = entries[f"raw/synthetic/{table}.parquet"]
            owners = pq.read_table(io.BytesIO(zf.read(entry["path"])), columns=[RAW_ATHLETE_COLUMN])
            exported_athletes = set(owners.column(RAW_ATHLETE_COLUMN).to_pylist())
            assert exported_athletes in ({athlete}, set()), f"{table}: rows of other athletes leaked"
            assert entry["rows"] == _warehouse_count_for(settings, table, athlete), table


def _warehouse_count_for(settings, table: str, athlete: str) -> int:
    """The athlete's rows in the writer's raw table, found independently of the publisher's attribution."""
    columns = {
        c
        for (c,) in warehouse_rows(
            settings,
            "select column_name from information_schema.columns where table_schema = 'raw_synthetic' "
            "and table_name = ?",
            [table],
        )
    }
    if "athlete_id" in columns:
        sql = f"select count(*) from raw_synthetic.{table} where athlete_id = ?"
    elif "activity_id" in columns:
        sql = (
            f"select count(*) from raw_synthetic.{table} where activity_id in "
            "(select activity_id from raw_synthetic.activities where athlete_id = ?)"
        )
    else:
        sql = (
            f"select count(*) from raw_synthetic.{table} where sleep_id in "
            "(select sleep_id from raw_synthetic.sleep where athlete_id = ?)"
        )
    return warehouse_rows(settings, sql, [athlete])[0][0]


def test_payload_documents_are_the_stored_json(exported):
    settings, athlete, path = exported
    with zipfile.ZipFile(path) as zf:
        lines = zf.read("raw/synthetic/activities.jsonl").decode().splitlines()
    exported_payloads = {json.loads(line)["activity_id"]: json.loads(line)["payload"] for line in lines}
    stored = {
        a: json.loads(p)
        for a, p in warehouse_rows(
            settings,
            "select activity_id, payload from raw_synthetic.activities where athlete_id = ?",
            [athlete],
        )
    }
    assert exported_payloads == stored and stored


def test_the_export_round_trips_with_the_payloads(exported, tmp_path):
    settings, athlete, path = exported
    counts = import_export(path, tmp_path / "restored.duckdb")
    assert counts["raw_synthetic.activities"] == _warehouse_count_for(settings, "activities", athlete)
    with duckdb.connect(str(tmp_path / "restored.duckdb"), read_only=True) as con:
        restored = con.execute("select count(*) from raw_synthetic.activity_streams").fetchone()[0]
    assert restored == _warehouse_count_for(settings, "activity_streams", athlete) > 0


def test_payloads_are_copied_again_only_when_the_raw_layer_changed(warehouse_copy):
    settings = warehouse_copy
    publish_snapshot("first", settings)
    copied = SnapshotIdentity.of(settings.raw_payloads_path)
    publish_snapshot("nothing new", settings)
    assert SnapshotIdentity.of(settings.raw_payloads_path) == copied
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(
            "insert into raw_synthetic._dlt_loads (load_id, schema_name, status, inserted_at) "
            "select '9999999999.0', 'synthetic', 0, now()"
        )
        con.execute("delete from raw_synthetic.weigh_ins where true")
    publish_snapshot("new load", settings)
    assert SnapshotIdentity.of(settings.raw_payloads_path) != copied
    with duckdb.connect(str(settings.raw_payloads_path), read_only=True) as con:
        assert con.execute("select count(*) from synthetic.weigh_ins").fetchone()[0] == 0
        unattributed = con.execute(
            f"select count(*) from synthetic.activity_streams where {RAW_ATHLETE_COLUMN} is null"
        ).fetchone()[0]
    assert unattributed == 0


def test_a_home_without_payloads_exports_without_them(tmp_path, monkeypatch):
    from api_testkit import make_home, make_keys, use_home

    settings = use_home(monkeypatch, make_home(tmp_path / "home"))
    keys = make_keys(settings.home_dir)
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as client:
        response = client.get("/v1/export", headers=keys.auth(keys.ath_1))
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("manifest.json"))
    assert manifest["raw_payloads"] == "none published"
    assert not [f for f in manifest["files"] if f["path"].startswith("raw/")]
