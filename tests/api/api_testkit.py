"""Helpers shared by the API tests and the benchmark (a module, so tests can import it; conftest cannot be)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
from snapshot_factory import build_snapshot

from api.keys import KeyStore
from openfit.settings import Settings, get_settings


@dataclass
class Keys:
    ath_1: str
    ath_2: str
    admin: str
    revoked: str

    def auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


def make_home(home: Path, *, with_marts: bool = False) -> Path:
    build_snapshot(home / "serving" / "snapshot.duckdb", with_marts=with_marts)
    return home


def make_keys(home: Path) -> Keys:
    store = KeyStore.for_home(home)
    revoked, record = store.create(["ath_1"], name="old")
    store.revoke(record.key_id)
    return Keys(
        ath_1=store.create(["ath_1"], name="one")[0],
        ath_2=store.create(["ath_2"], name="two")[0],
        admin=store.create(None, name="admin")[0],
        revoked=revoked,
    )


def use_home(monkeypatch, home: Path) -> Settings:
    monkeypatch.setenv("OPENFIT_HOME", str(home))
    get_settings.cache_clear()
    return get_settings()


REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_api(home: Path, extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, psutil.Process]]:
    """The API as `openfit serve` starts it (`uvicorn --factory api.app:create_app`, one worker) on a free
    loopback port with OPENFIT_HOME=`home`; yields its base URL and process, and stops its process group
    afterwards. Used by the live-server tests and the API benchmarks."""
    port = free_port()
    env = {**os.environ, "OPENFIT_HOME": str(home), **(extra_env or {})}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--timeout-keep-alive",
            "30",
        ],
        cwd=REPO,
        env=env,
        start_new_session=True,
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
                raise RuntimeError("the API did not start within 60 s")
            time.sleep(0.2)
        yield base, psutil.Process(server.pid)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
