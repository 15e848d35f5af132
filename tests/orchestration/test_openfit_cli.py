"""The `openfit` commands a user runs: sources, status, serve."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest
from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def test_sources_lists_the_synthetic_provider_with_capabilities():
    result = runner.invoke(app, ["sources"])
    assert result.exit_code == 0, result.output
    assert "synthetic" in result.output
    assert "activities" in result.output and "sleep" in result.output


def test_status_reports_snapshot_rows_and_freshness(fixture_warehouse):
    result = runner.invoke(app, ["status"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert str(fixture_warehouse.snapshot_path) in result.output.replace("\n", "")
    assert "openfit.activities" in result.output
    assert "synthetic" in result.output  # freshness per source
    assert "last run" in result.output


def test_status_without_snapshot_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path))
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert "openfit build" in result.output


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _ctrl_c(proc: subprocess.Popen) -> None:
    """What a user's Ctrl-C does to `openfit serve`/`demo` (SIGINT to its group); SIGKILL and fail if it hangs."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise


@pytest.mark.slow
def test_serve_starts_the_dagster_ui_with_the_graph_and_stops_cleanly(fixture_warehouse, tmp_path):
    port = 3917
    env = {
        **os.environ,
        "OPENFIT_DAGSTER_PORT": str(port),
        "OPENFIT_API_PORT": "8917",
        "OPENFIT_DASHBOARD_PORT": "8916",
        "OPENFIT_DOCS_PORT": "8915",
        "OPENFIT_WEBHOOK_PORT": "8914",
    }
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "openfit", "serve"], env=env, start_new_session=True, stdout=log, stderr=log
    )
    try:
        # `dagster dev` takes ~25 s on a quiet machine, minutes on a loaded one.
        deadline = time.monotonic() + 300
        data = None
        while time.monotonic() < deadline:
            try:
                data = _graphql(port, "{ assetNodes { assetKey { path } groupName } }")
                break
            except OSError:
                time.sleep(1)
        assert data is not None, (
            "the Dagster UI did not answer within 300 s: " + (tmp_path / "serve.log").read_text()[-2000:]
        )
        groups = {node["groupName"] for node in data["data"]["assetNodes"]}
        assert {"raw", "staging", "openfit", "publish"} <= groups
        # The data docs the build generated, on their own port.
        with urllib.request.urlopen("http://127.0.0.1:8915/catalog.json", timeout=10) as response:
            assert "model.openfit.activities" in json.loads(response.read())["nodes"]
        descendants = psutil.Process(proc.pid).children(recursive=True)
        assert descendants, "serve should run the UI in child processes"
    finally:
        _ctrl_c(proc)
    assert proc.returncode == 0
    # Every child (dagster dev and its webserver and daemon) is gone with it.
    _, alive = psutil.wait_procs(descendants, timeout=15)
    assert alive == []


@pytest.mark.slow
def test_demo_serves_a_first_snapshot_then_extends_the_history_in_the_background(tmp_path):
    """`make demo`'s command on a fresh home: a short first snapshot, the servers, then the full history
    published by a background build; Ctrl-C stops everything."""
    import duckdb

    from openfit.progress import read_progress
    from openfit.settings import Settings

    home = tmp_path / "home"
    env = {
        **os.environ,
        "OPENFIT_HOME": str(home),
        "OPENFIT_SYNTHETIC_ATHLETES": "1",
        "OPENFIT_SYNTHETIC_DAYS": "21",
        "OPENFIT_SYNTHETIC_END_DATE": "2026-06-30",
        "OPENFIT_DAGSTER_PORT": "3927",
        "OPENFIT_API_PORT": "8927",
        "OPENFIT_DASHBOARD_PORT": "8926",
        "OPENFIT_DOCS_PORT": "8925",
        "OPENFIT_WEBHOOK_PORT": "8924",
    }
    settings = Settings(home=home)
    days_published = "select count(distinct date) from openfit.wellness_daily"
    log_path = tmp_path / "demo.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "openfit", "demo", "--first-days", "7"],
        env=env,
        start_new_session=True,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 600
        first_days = None
        while time.monotonic() < deadline and proc.poll() is None:
            progress = read_progress(settings)
            if first_days is None and settings.snapshot_path.exists():
                with duckdb.connect(str(settings.snapshot_path), read_only=True) as con:
                    first_days = con.execute(days_published).fetchone()[0]
            if progress and "extending" in progress["label"] and progress["outcome"]:
                break
            time.sleep(1)
        log = log_path.read_text()
        assert proc.poll() is None, "demo exited early: " + log[-2000:]
        assert first_days is not None and first_days <= 8, (
            f"first snapshot had {first_days} days: " + log[-2000:]
        )
        assert progress and progress["outcome"] == "published", (
            f"background build: {progress}; " + log[-2000:]
        )
        with duckdb.connect(str(settings.snapshot_path), read_only=True) as con:
            assert con.execute(days_published).fetchone()[0] >= 20
        key = log.split("Demo API key", 1)[1].splitlines()[1].strip()
        request = urllib.request.Request(
            "http://127.0.0.1:8927/v1/athletes", headers={"Authorization": f"Bearer {key}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert len(json.loads(response.read())) == 1
        descendants = psutil.Process(proc.pid).children(recursive=True)
    finally:
        _ctrl_c(proc)
    assert proc.returncode == 0
    # Every child (dagster dev and its webserver and daemon) is gone with it.
    _, alive = psutil.wait_procs(descendants, timeout=15)
    assert alive == []
