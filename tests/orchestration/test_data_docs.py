"""The data docs: dbt's docs site generated from the published snapshot by every build, served by `openfit serve`."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request

import pytest

from openfit.cli.core_cmds import serve_commands
from openfit.data_docs import DOCS_FILES, docs_dir
from openfit.snapshot import attach_snapshot


def test_a_build_publishes_the_docs_site_describing_the_snapshot(fixture_warehouse):
    site = docs_dir(fixture_warehouse)
    assert sorted(p.name for p in site.iterdir()) == sorted(DOCS_FILES)
    catalog = json.loads((site / "catalog.json").read_text())
    manifest = json.loads((site / "manifest.json").read_text())
    # The catalog is read from the snapshot: its tables and their columns, with the snapshot's types.
    with attach_snapshot(fixture_warehouse.snapshot_path) as con:
        published = {
            f"{schema}.{table}"
            for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables where table_schema in ('openfit', 'marts')"
            ).fetchall()
        }
        activity_types = dict(con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'openfit' and table_name = 'activities'"
        ).fetchall())
    cataloged = {f"{n['metadata']['schema']}.{n['metadata']['name']}" for n in catalog["nodes"].values()}
    assert cataloged == published
    columns = catalog["nodes"]["model.openfit.activities"]["columns"]
    assert {name: column["type"] for name, column in columns.items()} == activity_types
    # Descriptions and lineage come from the dbt project (the manifest), the only copy of them.
    activities = manifest["nodes"]["model.openfit.activities"]
    assert activities["description"]
    assert activities["columns"]["activity_id"]["description"]
    assert manifest["parent_map"]["model.openfit.activities"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        return response.read()


@pytest.mark.slow
def test_serve_answers_the_docs_site_on_its_own_port(fixture_warehouse):
    settings = fixture_warehouse.model_copy(update={"docs_port": _free_port()})
    command = serve_commands(settings)["docs"]  # what `openfit serve` starts
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{settings.docs_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                index = _get(f"{base}/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert b"dbt" in index.lower()
        catalog = json.loads(_get(f"{base}/catalog.json"))
        assert "model.openfit.activities" in catalog["nodes"]
        assert "model.openfit.activities" in json.loads(_get(f"{base}/manifest.json"))["nodes"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
