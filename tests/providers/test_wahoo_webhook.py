"""Wahoo's workout_summary webhook through the real receiver (FastAPI app, SQLite intake): a message with the
configured token is queued for the athlete whose Wahoo user id it names, with only the `workout` resource to
sync; a wrong or missing token is refused and queues nothing; the same summary twice is a replay, an edited
summary (new updated_at) a new delivery; a retry days later is still accepted (Wahoo retries up to 72 h)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from ingestion.auth.tokens import TokenStore
from ingestion.registry import discover
from ingestion.webhooks.app import create_app
from ingestion.webhooks.intake import Intake
from openfit.settings import get_settings

TOKEN = "wahoo-webhook-token-for-tests"
WAHOO_USER = 60462


@pytest.fixture
def client(openfit_home, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("OPENFIT_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("OPENFIT_WAHOO_CLIENT_ID", "wahoo-client")
    monkeypatch.setenv("OPENFIT_WAHOO_CLIENT_SECRET", "wahoo-client-secret")
    monkeypatch.setenv("OPENFIT_WAHOO_WEBHOOK_TOKEN", TOKEN)
    get_settings.cache_clear()
    TokenStore.from_settings().save(
        "wahoo",
        "ann",
        {
            "access_token": "at",
            "refresh_token": "rt",
            "expires_at": None,
            "provider_user_id": str(WAHOO_USER),
        },  # fmt: skip
    )
    with TestClient(create_app()) as test_client:
        yield test_client


def _message(token: str | None = TOKEN, updated_at: str = "2024-05-01T08:03:00.000Z") -> dict[str, Any]:
    """A workout_summary message shaped like Wahoo's documented sample (values our own)."""
    message: dict[str, Any] = {
        "event_type": "workout_summary",
        "user": {"id": WAHOO_USER},
        "workout_summary": {
            "id": 8297,
            "ascent_accum": "450.00",
            "calories_accum": "1500.00",
            "distance_accum": "24909.71",
            "duration_total_accum": "3600.00",
            "power_avg": "194.59",
            "speed_avg": "6.92",
            "created_at": "2024-05-01T08:02:00.000Z",
            "updated_at": updated_at,
            "file": {"url": "https://example.org/8297.fit"},
            "workout": {
                "id": 56519,
                "starts": "2024-05-01T07:00:00.000Z",
                "minutes": 60,
                "workout_type_id": 15,
            },
        },
    }
    if token is not None:
        message["webhook_token"] = token
    return message


def _queued() -> list:
    intake = Intake.for_home(get_settings().home_dir)
    try:
        return intake.deliveries()
    finally:
        intake.close()


def test_a_message_with_the_token_is_queued_for_its_athlete(client: TestClient) -> None:
    answer = client.post("/webhooks/wahoo", json=_message())
    assert answer.status_code == 200 and answer.json() == {"accepted": 1}
    [delivery] = _queued()
    assert (delivery.provider, delivery.athlete, delivery.provider_user_id) == (
        "wahoo",
        "ann",
        str(WAHOO_USER),
    )
    assert (delivery.data_type, delivery.object_id, delivery.status) == (
        "workout_summary",
        "56519",
        "pending",
    )
    webhook = discover()["wahoo"].webhook
    assert webhook.collections(frozenset({"workout_summary"})) == ("workout",)
    assert webhook.collections(frozenset({"something_else"})) == ()


def test_wrong_or_missing_token_and_replays_are_refused(client: TestClient) -> None:
    refused = [
        client.post("/webhooks/wahoo", json=_message(token="guessed")),
        client.post("/webhooks/wahoo", json=_message(token=None)),
        client.post("/webhooks/wahoo", content=b"not json", headers={"content-type": "application/json"}),
        client.post("/webhooks/wahoo", json={"event_type": "workout_summary", "webhook_token": TOKEN}),
    ]
    assert [r.status_code for r in refused] == [401] * len(refused)
    assert all(TOKEN not in r.text for r in refused)
    assert _queued() == []

    assert client.post("/webhooks/wahoo", json=_message()).status_code == 200
    replay = client.post("/webhooks/wahoo", content=json.dumps(_message()).encode(),
                         headers={"content-type": "application/json"})  # fmt: skip
    assert replay.status_code == 401
    edited = client.post("/webhooks/wahoo", json=_message(updated_at="2024-05-03T10:00:00.000Z"))
    assert edited.status_code == 200  # an edited summary is news, although sent days after the workout
    assert len(_queued()) == 2


def test_without_a_configured_token_nothing_is_accepted(client: TestClient, monkeypatch) -> None:
    monkeypatch.delenv("OPENFIT_WAHOO_WEBHOOK_TOKEN")
    assert client.post("/webhooks/wahoo", json=_message()).status_code == 401
    assert _queued() == []
