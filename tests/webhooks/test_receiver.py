"""The receiver: handshakes, signed deliveries queued with their athlete, forgeries and replays rejected with
nothing queued, unknown providers 404, and it never opens the warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import duckdb
import httpx
import pytest
from fastapi.testclient import TestClient

from ingestion.auth.tokens import TokenStore
from ingestion.webhooks.app import create_app
from ingestion.webhooks.intake import Intake
from openfit.settings import get_settings

from .conftest import (
    OURA_USER,
    STRAVA_USER,
    VERIFY_TOKEN,
    connect,
    oura_event,
    oura_request,
    strava_event,
)


@pytest.fixture
def client(home) -> TestClient:
    connect("oura", "ann", OURA_USER)
    connect("strava", "ann", STRAVA_USER)
    with TestClient(create_app()) as test_client:
        yield test_client


def _queued() -> list:
    intake = Intake.for_home(get_settings().home_dir)
    try:
        return intake.deliveries()
    finally:
        intake.close()


def test_handshakes(client: TestClient) -> None:
    answer = client.get(
        "/webhooks/strava",
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "abc"},
    )
    assert answer.status_code == 200 and answer.json() == {"hub.challenge": "abc"}
    answer = client.get("/webhooks/oura", params={"verification_token": VERIFY_TOKEN, "challenge": "xyz"})
    assert answer.status_code == 200 and answer.json() == {"challenge": "xyz"}
    wrong = client.get("/webhooks/oura", params={"verification_token": "guess", "challenge": "xyz"})
    assert wrong.status_code == 401 and "guess" not in wrong.text and VERIFY_TOKEN not in wrong.text


def test_signed_oura_delivery_is_queued_for_its_athlete(client: TestClient) -> None:
    body, headers = oura_request(oura_event("daily_activity", object_id="doc-7"))
    answer = client.post("/webhooks/oura", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json() == {"accepted": 1}
    [delivery] = _queued()
    assert (delivery.provider, delivery.athlete, delivery.provider_user_id) == ("oura", "ann", OURA_USER)
    assert (delivery.data_type, delivery.object_id, delivery.status) == ("daily_activity", "doc-7", "pending")


def test_strava_event_is_queued(client: TestClient) -> None:
    answer = client.post("/webhooks/strava", json=strava_event())
    assert answer.status_code == 200
    [delivery] = _queued()
    assert (delivery.athlete, delivery.data_type, delivery.event_type) == ("ann", "activity", "create")


def test_forgeries_and_replays_get_401_and_queue_nothing(client: TestClient) -> None:
    body, headers = oura_request(oura_event())
    forged_body, forged_headers = oura_request(oura_event(), secret="guessed")
    stale_body, stale_headers = oura_request(oura_event(object_id="old"), timestamp=time.time() - 301)
    future_body, future_headers = oura_request(oura_event(object_id="new"), timestamp=time.time() + 301)
    rejected = [
        client.post("/webhooks/oura", content=forged_body, headers=forged_headers),
        client.post("/webhooks/oura", content=body, headers={**headers, "x-oura-signature": "00" * 32}),
        client.post("/webhooks/oura", content=body.replace(b"obj-1", b"obj-2"), headers=headers),
        client.post("/webhooks/oura", content=body, headers={"content-type": "application/json"}),
        client.post("/webhooks/oura", content=stale_body, headers=stale_headers),
        client.post("/webhooks/oura", content=future_body, headers=future_headers),
        client.post("/webhooks/strava", json=strava_event(subscription_id=1)),
        client.post("/webhooks/strava", json=strava_event(event_time=time.time() - 3600)),
    ]
    assert [r.status_code for r in rejected] == [401] * len(rejected)
    assert _queued() == []

    assert client.post("/webhooks/oura", content=body, headers=headers).status_code == 200
    replay = client.post("/webhooks/oura", content=body, headers=headers)
    assert replay.status_code == 401 and replay.json() == {"detail": "replayed delivery"}
    event = strava_event()
    assert client.post("/webhooks/strava", json=event).status_code == 200
    assert client.post("/webhooks/strava", json=event).status_code == 401
    assert len(_queued()) == 2


def test_unknown_provider_404(client: TestClient) -> None:
    assert client.post("/webhooks/garmin", json={}).status_code == 404
    assert client.get("/webhooks/garmin").status_code == 404
    assert client.post("/webhooks/synthetic", json={}).status_code == 404  # registered, but does not push
    assert _queued() == []


def test_unmatched_user_is_accepted_and_matched_later(client: TestClient) -> None:
    body, headers = oura_request(oura_event(user_id="someone-new"))
    assert client.post("/webhooks/oura", content=body, headers=headers).status_code == 200
    [delivery] = _queued()
    assert delivery.status == "unmatched" and delivery.athlete is None

    from orchestration.defs.webhooks import rematch

    connect("oura", "bob", "someone-new")
    intake = Intake.for_home(get_settings().home_dir)
    assert rematch(intake, TokenStore.from_settings()) == 1
    [delivery] = intake.deliveries()
    intake.close()
    assert (delivery.status, delivery.athlete) == ("pending", "bob")


def test_athlete_found_from_a_token_stored_before_the_status_carried_the_id(home) -> None:
    store = TokenStore.from_settings()
    connect("strava", "cat", STRAVA_USER)
    status_file = store._status_path("strava", "cat")
    record = json.loads(status_file.read_text())
    record.pop("provider_user_id")
    status_file.write_text(json.dumps(record))  # as a store written by an earlier version
    assert store.provider_user_id("strava", "cat") is None
    assert store.athlete_for("strava", str(STRAVA_USER)) == "cat"
    assert store.provider_user_id("strava", "cat") == str(STRAVA_USER)  # completed on the way
    store.mark_needs_reauth("strava", "cat", "test")
    assert store.athlete_for("strava", str(STRAVA_USER)) == "cat"  # a status change keeps the id
    assert store.athlete_for("strava", "123") is None


def test_receiver_never_opens_the_warehouse(home, live_receiver) -> None:
    """The live receiver (its own process) answers while this process holds the warehouse read-write
    (DuckDB refuses every other process then), and its process never imports duckdb."""
    connect("oura", "ann", OURA_USER)
    warehouse = get_settings().warehouse_path
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as writer:
        writer.execute("create table if not exists held (x int)")
        body, headers = oura_request(oura_event())
        answer = httpx.post(f"{live_receiver.url}/webhooks/oura", content=body, headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
    assert [d.status for d in _queued()] == ["pending"]

    probe = (
        "import sys\n"
        "from fastapi.testclient import TestClient\n"
        "from ingestion.webhooks.app import create_app\n"
        "with TestClient(create_app()) as c:\n"
        "    assert c.get('/healthz').status_code == 200\n"
        "print(sorted(m for m in ('duckdb', 'dagster', 'dbt', 'api', 'orchestration') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"


def test_secrets_never_logged(home, live_receiver) -> None:
    from .conftest import OURA_SECRET

    body, headers = oura_request(oura_event(), secret="forged-secret")
    assert httpx.post(f"{live_receiver.url}/webhooks/oura", content=body, headers=headers).status_code == 401
    httpx.get(f"{live_receiver.url}/webhooks/oura", params={"verification_token": "guess", "challenge": "c"})
    log = live_receiver.stop()
    assert "rejected" in log and "refused" in log
    for secret in (OURA_SECRET, VERIFY_TOKEN, headers["x-oura-signature"], "guess"):
        assert secret not in log
