"""Withings notifications through the real receiver (FastAPI app, SQLite intake): the callback URL check (HEAD,
as Withings sends before it accepts a subscription) answers 200 only with the token; a form POST with the token
is queued for the athlete whose Withings user id it names, with only the resources of its category to sync; a
wrong or missing token, a body that is not a notification and a replay are refused and queue nothing."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from ingestion.auth.tokens import TokenStore
from ingestion.registry import discover
from ingestion.webhooks.app import create_app
from ingestion.webhooks.intake import Intake
from openfit.settings import get_settings

TOKEN = "withings-callback-token-for-tests"
WITHINGS_USER = 1234567
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def client(openfit_home, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("OPENFIT_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("OPENFIT_WITHINGS_CLIENT_ID", "withings-client")
    monkeypatch.setenv("OPENFIT_WITHINGS_CLIENT_SECRET", "withings-client-secret")
    monkeypatch.setenv("OPENFIT_WITHINGS_WEBHOOK_TOKEN", TOKEN)
    get_settings.cache_clear()
    token = {
        "access_token": "at",
        "refresh_token": "rt",
        "expires_at": None,
        "provider_user_id": str(WITHINGS_USER),
    }
    TokenStore.from_settings().save("withings", "ann", token)
    with TestClient(create_app()) as test_client:
        yield test_client


def _notification(appli: int = 1, start: int = 1714550400, user: int = WITHINGS_USER) -> bytes:
    return urlencode({"userid": user, "appli": appli, "startdate": start, "enddate": start + 60}).encode()


def _queued() -> list:
    intake = Intake.for_home(get_settings().home_dir)
    try:
        return intake.deliveries()
    finally:
        intake.close()


def test_the_callback_url_check_answers_only_with_the_token(client: TestClient) -> None:
    assert client.head(f"/webhooks/withings?token={TOKEN}").status_code == 200
    assert client.head("/webhooks/withings?token=guessed").status_code == 401
    assert client.head("/webhooks/withings").status_code == 401
    assert client.get(f"/webhooks/withings?token={TOKEN}").status_code == 200
    assert client.head(f"/webhooks/nobody?token={TOKEN}").status_code == 404


def test_a_notification_with_the_token_is_queued_for_its_athlete(client: TestClient) -> None:
    answer = client.post(f"/webhooks/withings?token={TOKEN}", content=_notification(appli=44), headers=FORM)
    assert answer.status_code == 200 and answer.json() == {"accepted": 1}
    [delivery] = _queued()
    assert (delivery.provider, delivery.athlete, delivery.provider_user_id, delivery.data_type) == (
        "withings",
        "ann",
        str(WITHINGS_USER),
        "sleep",
    )
    webhook = discover()["withings"].webhook
    assert webhook.collections(frozenset({"sleep"})) == ("sleep_summary",)
    assert webhook.collections(frozenset({"weight", "activity"})) == (
        "activity",
        "measure_groups",
        "workouts",
    )
    assert webhook.collections(frozenset({"appli_54"})) == ()  # ECG: not loaded


def test_wrong_or_missing_token_bad_bodies_and_replays_are_refused(client: TestClient) -> None:
    refused = [
        client.post("/webhooks/withings?token=guessed", content=_notification(), headers=FORM),
        client.post("/webhooks/withings", content=_notification(), headers=FORM),
        client.post(f"/webhooks/withings?token={TOKEN}", content=b"userid=&appli=1", headers=FORM),
        client.post(f"/webhooks/withings?token={TOKEN}", content=b"\xff\xfe", headers=FORM),
    ]
    assert [r.status_code for r in refused] == [401] * len(refused)
    assert all(TOKEN not in r.text for r in refused)
    assert _queued() == []

    assert (
        client.post(f"/webhooks/withings?token={TOKEN}", content=_notification(), headers=FORM).status_code
        == 200
    )
    replay = client.post(f"/webhooks/withings?token={TOKEN}", content=_notification(), headers=FORM)
    assert replay.status_code == 401
    later = client.post(
        f"/webhooks/withings?token={TOKEN}", content=_notification(start=1714554000), headers=FORM
    )
    assert later.status_code == 200  # another period of the same category is news
    assert len(_queued()) == 2


def test_without_a_configured_token_nothing_is_accepted(client: TestClient, monkeypatch) -> None:
    monkeypatch.delenv("OPENFIT_WITHINGS_WEBHOOK_TOKEN")
    assert (
        client.post(f"/webhooks/withings?token={TOKEN}", content=_notification(), headers=FORM).status_code
        == 401
    )
    assert client.head(f"/webhooks/withings?token={TOKEN}").status_code == 401
    assert _queued() == []
