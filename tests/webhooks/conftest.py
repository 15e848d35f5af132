"""Fixtures for the webhook tests: an isolated home with a token store, provider settings for both schemes,
signed requests, and a live receiver (uvicorn in its own process) on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from ingestion.auth.tokens import TokenStore
from ingestion.webhooks.schemes import sign_timestamped
from openfit.settings import get_settings

REPO = Path(__file__).resolve().parents[2]
OURA_SECRET = "oura-client-secret-for-tests"
STRAVA_SUBSCRIPTION = 120475
VERIFY_TOKEN = "verify-token-for-tests"
OURA_USER = "oura-user-0001"
STRAVA_USER = 4_242_001


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("OPENFIT_HOME", str(home))
    monkeypatch.setenv("OPENFIT_SECRET_KEY", Fernet.generate_key().decode())
    for key, value in webhook_env().items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


def webhook_env() -> dict[str, str]:
    return {
        "OPENFIT_OURA_CLIENT_ID": "oura-client",
        "OPENFIT_OURA_CLIENT_SECRET": OURA_SECRET,
        "OPENFIT_OURA_WEBHOOK_VERIFICATION_TOKEN": VERIFY_TOKEN,
        "OPENFIT_STRAVA_CLIENT_ID": "strava-client",
        "OPENFIT_STRAVA_CLIENT_SECRET": "strava-client-secret",
        "OPENFIT_STRAVA_WEBHOOK_VERIFY_TOKEN": VERIFY_TOKEN,
        "OPENFIT_STRAVA_WEBHOOK_SUBSCRIPTION_ID": str(STRAVA_SUBSCRIPTION),
    }


def connect(provider: str, athlete: str, provider_user_id: str | int | None) -> None:
    """A stored connection, as `openfit connect` leaves it."""
    token: dict[str, Any] = {"access_token": f"at-{athlete}", "refresh_token": "rt", "expires_at": None}
    if provider_user_id is not None:
        token["provider_user_id"] = str(provider_user_id)
    TokenStore.from_settings().save(provider, athlete, token)


def oura_event(
    data_type: str = "sleep", user_id: str = OURA_USER, object_id: str = "obj-1"
) -> dict[str, Any]:
    return {
        "event_type": "update",
        "data_type": data_type,
        "object_id": object_id,
        "event_time": "2026-12-07T03:00:00+00:00",
        "user_id": user_id,
    }


def oura_request(
    event: dict[str, Any], secret: str = OURA_SECRET, timestamp: float | None = None
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    ts = str(int(time.time() if timestamp is None else timestamp))
    signature = sign_timestamped(secret, ts, body, "hex_upper")
    return body, {"x-oura-timestamp": ts, "x-oura-signature": signature, "content-type": "application/json"}


def strava_event(
    object_id: int = 1_360_128_428,
    owner_id: int = STRAVA_USER,
    subscription_id: int = STRAVA_SUBSCRIPTION,
    event_time: float | None = None,
    aspect_type: str = "create",
) -> dict[str, Any]:
    return {
        "aspect_type": aspect_type,
        "event_time": int(time.time() if event_time is None else event_time),
        "object_id": object_id,
        "object_type": "activity",
        "owner_id": owner_id,
        "subscription_id": subscription_id,
        "updates": {},
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveReceiver:
    """`uvicorn ingestion.webhooks.app:create_app --factory` (what `openfit serve` starts) in its own process."""

    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        from cli.core_cmds import serve_commands

        settings = get_settings().model_copy(update={"webhook_port": self.port})
        self.proc = subprocess.Popen(
            serve_commands(settings)["webhooks"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"receiver exited: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("receiver did not answer within 60 s")

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err.decode(errors="replace")


@pytest.fixture
def live_receiver(home: Path) -> Iterator[LiveReceiver]:
    receiver = LiveReceiver({**os.environ, "OPENFIT_HOME": str(home)})
    yield receiver
    receiver.stop()


@pytest.fixture
def python() -> str:
    return sys.executable
