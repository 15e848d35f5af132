"""Helpers the API benchmarks share: a temporary home with a snapshot and keys, and the real API server
started on 127.0.0.1 (one uvicorn worker) in its own process group."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "api"))

import openfit  # noqa: E402,F401  (telemetry off)
from api.query import reads  # noqa: E402
from api.query.snapshot import SnapshotReader  # noqa: E402
from openfit.settings import get_settings  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_home(source_home: Path | None) -> tuple[Path, str]:
    """A temporary home holding a copy of `source_home`'s (else $OPENFIT_HOME's) published snapshot, or a
    generated one (3 athletes x 365 days, marts included) when there is none."""
    home = Path(tempfile.mkdtemp(prefix="openfit_bench_"))
    snapshot = home / "serving" / "snapshot.duckdb"
    real = (source_home or get_settings().home_dir) / "serving" / "snapshot.duckdb"
    if real.exists():
        snapshot.parent.mkdir(parents=True)
        shutil.copy2(real, snapshot)
        origin = f"published snapshot {real}"
    else:
        from snapshot_factory import build_snapshot

        build_snapshot(snapshot, athletes=3, days=365, samples_per_activity=3600, with_marts=True)
        origin = "generated snapshot (3 athletes x 365 days, 1 Hz samples)"
    return home, origin


def pick_targets(snapshot: Path) -> dict:
    """The first athlete, its other athletes, and its newest 50 activity ids."""
    from api.keys import AthleteScope

    reader = SnapshotReader(snapshot)
    try:
        with reader.cursor() as cur:
            athletes = [a.athlete_id for a in reads.list_athletes(cur, AthleteScope.everyone())]
            activities = reads.list_activities(cur, AthleteScope.everyone(), athlete_id=athletes[0], limit=50).items
    finally:
        reader.close()
    return {"athlete": athletes[0], "athletes": athletes, "activities": [a.activity_id for a in activities]}


@contextmanager
def running_api(home: Path, extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, psutil.Process]]:
    """The API (`uvicorn --factory api.app:create_app`) on a free loopback port with OPENFIT_HOME=`home`;
    yields its base URL and process, and stops it (its whole process group) afterwards."""
    port = free_port()
    env = {**os.environ, "OPENFIT_HOME": str(home), **(extra_env or {})}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log", "--timeout-keep-alive", "30"],
        cwd=REPO, env=env, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the API did not start")
            time.sleep(0.2)
        yield base, psutil.Process(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
