"""The data docs: dbt's docs site generated from the published snapshot by every build, served by `openfit serve`."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cli.core_cmds import serve_commands
from orchestration.data_docs import DOCS_FILES, docs_dir
from query.snapshot import attach_snapshot


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
        activity_types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'openfit' and table_name = 'activities'"
            ).fetchall()
        )
    cataloged = {f"{n['metadata']['schema']}.{n['metadata']['name']}" for n in catalog["nodes"].values()}
    assert cataloged == published
    columns = catalog["nodes"]["model.openfit.activities"]["columns"]
    assert {name: column["type"] for name, column in columns.items()} == activity_types
    # Descriptions and lineage come from the dbt project (the manifest), the only copy of them.
    activities = manifest["nodes"]["model.openfit.activities"]
    assert activities["description"]
    assert activities["columns"]["activity_id"]["description"]
    assert manifest["parent_map"]["model.openfit.activities"]


def _stop(proc: subprocess.Popen) -> None:
    """Stop the static server; a kill when SIGTERM does not end it in time (it may be ignored where CI runs)."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        return response.read()


def _wait_for_server(base: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            _get(f"{base}/")
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.slow
def test_serve_answers_the_docs_site_on_its_own_port(fixture_warehouse):
    settings = fixture_warehouse.model_copy(update={"docs_port": _free_port()})
    command = serve_commands(settings)["docs"]  # what `openfit serve` starts
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{settings.docs_port}"
    try:
        _wait_for_server(base)
        assert b"dbt" in _get(f"{base}/").lower()
        catalog = json.loads(_get(f"{base}/catalog.json"))
        assert "model.openfit.activities" in catalog["nodes"]
        assert "model.openfit.activities" in json.loads(_get(f"{base}/manifest.json"))["nodes"]
    finally:
        _stop(proc)


@pytest.mark.slow
def test_a_browser_shows_a_models_columns_with_units_and_its_lineage_graph(fixture_warehouse, tmp_path):
    sys.path.insert(0, str(Path(__file__).parents[1] / "dashboards"))  # the Playwright harness lives there
    import browser_check as bc

    if bc.chromium_path() is None:
        pytest.skip("no Chromium (scripts/install_browser.sh installs Debian's)")
    settings = fixture_warehouse.model_copy(update={"docs_port": _free_port()})
    proc = subprocess.Popen(
        serve_commands(settings)["docs"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{settings.docs_port}"
    try:
        _wait_for_server(base)
        with bc.chromium() as browser:
            tab = browser.new_page()
            errors: list[str] = []
            tab.on("pageerror", lambda exc: errors.append(str(exc)))
            tab.goto(f"{base}/#!/model/model.openfit.activities", wait_until="load")
            # The column list: names and types from the snapshot's catalog, descriptions from the YAML.
            duration = tab.locator("tr.column-row", has_text="duration_s").first
            duration.wait_for(timeout=30_000)
            assert "DOUBLE" in duration.inner_text()
            duration.click()  # expands the column: its unit (meta.unit) and full description
            details = tab.locator("tr", has_text="Elapsed time.").filter(has_text="unit").first
            details.wait_for(timeout=10_000)
            # The lineage graph around the model: its parents and the marts that read it.
            tab.click('a[title="View Lineage Graph"]')
            tab.locator("#cy").wait_for(state="visible", timeout=15_000)
            tab.wait_for_function(
                "document.getElementById('cy')._cyreg.cy.nodes().length > 3", timeout=15_000
            )
            labels = tab.evaluate("document.getElementById('cy')._cyreg.cy.nodes().map(n => n.data('label'))")
            tab.screenshot(path=str(tmp_path / "lineage.png"))
            assert errors == []
        assert {"activities", "int_activities_merged", "activity_load"} <= set(labels)
    finally:
        _stop(proc)
