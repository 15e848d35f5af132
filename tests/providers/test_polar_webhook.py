"""Polar AccessLink webhooks through the real receiver (FastAPI app, SQLite intake): a payload signed with the
webhook's signature_secret_key (hex HMAC-SHA256 of the raw body in Polar-Webhook-Signature) is queued for the
athlete whose Polar user id it names, with only the resources its event needs; a bad or missing signature, a
stale timestamp and a replay are refused and queue nothing; the PING Polar sends when the webhook is created
is acknowledged without a signature (the secret is not known yet) and queues nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from ingestion.auth.tokens import TokenStore
from ingestion.registry import discover
from ingestion.webhooks.app import create_app
from ingestion.webhooks.intake import Intake
from openfit.settings import get_settings

SECRET = "0d9c2f6e-5a7b-4c1d-9e3f-openfit-test"  # a signature_secret_key of our own
POLAR_USER = 475


@pytest.fixture
def client(openfit_home, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("OPENFIT_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("OPENFIT_POLAR_CLIENT_ID", "polar-client")
    monkeypatch.setenv("OPENFIT_POLAR_CLIENT_SECRET", "polar-client-secret")
    monkeypatch.setenv("OPENFIT_POLAR_WEBHOOK_SECRET", SECRET)
    get_settings.cache_clear()
    TokenStore.from_settings().save(
        "polar", "ann", {"access_token": "at", "expires_at": None, "provider_user_id": str(POLAR_USER)}
    )
    with TestClient(create_app()) as test_client:
        yield test_client


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _exercise(timestamp: str | None = None, entity_id: str = "aQlC83") -> dict[str, Any]:
    return {
        "event": "EXERCISE",
        "user_id": POLAR_USER,
        "entity_id": entity_id,
        "timestamp": timestamp or _now(),
        "url": f"https://www.polaraccesslink.com/v3/exercises/{entity_id}",
    }


def _post(
    client: TestClient, payload: dict[str, Any], secret: str | None = SECRET, signature: str | None = None
):
    body = json.dumps(payload).encode()
    headers = {"content-type": "application/json"}
    if signature is None and secret is not None:
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if signature is not None:
        headers["Polar-Webhook-Signature"] = signature
    return client.post("/webhooks/polar", content=body, headers=headers)


def _queued() -> list:
    intake = Intake.for_home(get_settings().home_dir)
    try:
        return intake.deliveries()
    finally:
        intake.close()


def test_a_signed_exercise_event_is_queued_for_its_athlete(client: TestClient) -> None:
    answer = _post(client, _exercise())
    assert answer.status_code == 200 and answer.json() == {"accepted": 1}
    [delivery] = _queued()
    assert (delivery.provider, delivery.athlete, delivery.provider_user_id) == (
        "polar",
        "ann",
        str(POLAR_USER),
    )
    assert (delivery.data_type, delivery.object_id, delivery.status) == ("EXERCISE", "aQlC83", "pending")
    sleep = {"event": "SLEEP", "user_id": POLAR_USER, "date": "2019-12-31", "timestamp": _now(),
             "url": "https://www.polaraccesslink.com/v3/users/sleep/2019-12-31"}  # fmt: skip
    assert _post(client, sleep).status_code == 200
    assert [d.object_id for d in _queued() if d.data_type == "SLEEP"] == ["2019-12-31"]
    webhook = discover()["polar"].webhook
    assert webhook.collections(frozenset({"EXERCISE"})) == ("exercise",)
    assert webhook.collections(frozenset({"SLEEP"})) == ("nightly_recharge", "sleep")
    assert webhook.collections(frozenset({"ACTIVITY_SUMMARY", "CONTINUOUS_HEART_RATE"})) == (
        "activity",
        "continuous_heart_rate",
    )
    assert webhook.collections(frozenset({"SLEEP_WISE_ALERTNESS"})) == ()


def test_bad_signatures_stale_and_replayed_deliveries_are_refused(client: TestClient) -> None:
    payload = _exercise()
    refused = [
        _post(client, payload, secret="another-secret"),
        _post(client, payload, secret=None),  # no signature header
        _post(client, payload, signature="0" * 64),
        _post(
            client,
            {**payload, "entity_id": "tampered"},
            signature=hmac.new(SECRET.encode(), json.dumps(payload).encode(), hashlib.sha256).hexdigest(),
        ),  # fmt: skip
        _post(client, _exercise(timestamp=(datetime.now(UTC) - timedelta(hours=2)).isoformat())),  # stale
        client.post("/webhooks/polar", content=b"not json", headers={"content-type": "application/json"}),
    ]
    assert [r.status_code for r in refused] == [401] * len(refused)
    assert all(SECRET not in r.text for r in refused)
    assert _queued() == []

    assert _post(client, payload).status_code == 200
    assert _post(client, payload).status_code == 401  # the same signed body again: a replay
    assert _post(client, _exercise(entity_id="bX2d91")).status_code == 200  # another exercise is news
    assert len(_queued()) == 2


def test_ping_on_webhook_creation_is_acknowledged_and_queues_nothing(client: TestClient, monkeypatch) -> None:
    monkeypatch.delenv("OPENFIT_POLAR_WEBHOOK_SECRET")  # Polar pings before the app holds the new secret
    ping = {"timestamp": _now(), "event": "PING"}
    answer = _post(client, ping, secret=None)
    assert answer.status_code == 200 and answer.json() == {"accepted": 0}
    assert _post(client, ping, secret=None).status_code == 401  # the same ping again: a replay
    # a PING carrying anything else is no ping: it needs the signature
    assert _post(client, {**_exercise(), "event": "PING"}, secret=None).status_code == 401
    assert _post(client, _exercise(), secret=None).status_code == 401  # no secret configured: nothing else
    assert _queued() == []
