"""End to end: a Strava push event, and a signed Oura notification, posted to the live receiver (its own
process) -> the webhook sensor's run syncs that athlete from the mock provider server (Oura: only the notified
collection) -> the new data is in the published snapshot, and the delivery is marked processed with the run's
id."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta

import dagster as dg
import duckdb
import httpx
import pytest

from ingestion.auth.tokens import TokenStore
from ingestion.webhooks.intake import Intake
from openfit.settings import get_settings

from .conftest import LiveReceiver, strava_event


@pytest.fixture
def strava_home(home, monkeypatch: pytest.MonkeyPatch, warehouse_copy):
    """Strava connected to a copy of the session's built home (its synthetic cohort)."""
    from providers.mock_servers.strava import StravaMock, StravaMockConfig

    for name in ("CLIENT_ID", "CLIENT_SECRET", "WEBHOOK_VERIFICATION_TOKEN"):
        monkeypatch.delenv(f"OPENFIT_OURA_{name}", raising=False)
    config = StravaMockConfig(activities=6, limits={"overall": (20_000, 200_000), "read": (10_000, 100_000)})
    with StravaMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        yield mock


def _recordings(activity_id: int) -> int:
    path = get_settings().home_dir / "serving" / "snapshot.duckdb"
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select count(*) from openfit.activity_recordings where recording_id = ?",
            [f"strava:{activity_id}"],
        ).fetchone()[0]


@pytest.mark.slow
def test_push_event_syncs_the_athlete_and_publishes(strava_home) -> None:
    from orchestration.build import run_build
    from orchestration.defs import build_definitions
    from orchestration.defs.webhooks import WEBHOOK_SENSOR
    from orchestration.instance import prepare_instance, writer_tags

    mock = strava_home
    token = mock.issue_tokens(athlete_id=mock.cfg.athlete, scope="read,activity:read_all")
    store = TokenStore.from_settings()
    # stored without the Strava athlete id, as a connection made before webhooks: the sync records it
    store.save(
        "strava", "me", {k: token[k] for k in ("access_token", "refresh_token", "expires_at", "scope")}
    )
    assert store.provider_user_id("strava", "me") is None
    report = run_build()
    assert report.success, report.failure
    assert store.provider_user_id("strava", "me") == str(mock.cfg.athlete)

    new = mock.add_activity()
    assert _recordings(new["id"]) == 0
    receiver = LiveReceiver({**os.environ, "OPENFIT_HOME": str(get_settings().home_dir)})
    try:
        started = time.perf_counter()
        answer = httpx.post(
            f"{receiver.url}/webhooks/strava",
            json=strava_event(object_id=new["id"], owner_id=mock.cfg.athlete),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
    finally:
        receiver.stop()

    prepare_instance(get_settings())
    defs = build_definitions()
    sensor = defs.resolve_sensor_def(WEBHOOK_SENSOR)
    instance = dg.DagsterInstance.get()
    result = sensor(dg.build_sensor_context(instance=instance, definitions=defs))
    [request] = result.run_requests
    assert request.job_name == "strava_sync"
    assert request.run_config["ops"]["raw_strava"]["config"]["athletes"] == ["me"]
    # what the daemon does with the request (here in this process, with the writer's tags)
    run = defs.resolve_job_def(request.job_name).execute_in_process(
        instance=instance, run_config=request.run_config, tags={**request.tags, **writer_tags()}
    )
    assert run.success
    sensor(dg.build_sensor_context(instance=instance, definitions=defs))  # settles the batch
    seconds = time.perf_counter() - started

    intake = Intake.for_home(get_settings().home_dir)
    [delivery] = intake.deliveries()
    intake.close()
    assert (delivery.status, delivery.run_id, delivery.athlete) == ("processed", run.run_id, "me")
    assert _recordings(new["id"]) == 1
    synced = (
        next(m for m in run.get_asset_materialization_events() if m.asset_key.path[0] == "raw_strava")
        .materialization.metadata["athletes_synced"]
        .value
    )
    assert synced == ["me"]
    print(f"notification to published data: {seconds:.1f} s ({timedelta(seconds=round(seconds))})")


@pytest.fixture
def oura_home(home, monkeypatch: pytest.MonkeyPatch, warehouse_copy):
    """Oura connected to a copy of the session's built home (its synthetic cohort)."""
    from providers.mock_servers.oura import OuraMock, OuraMockConfig

    for name in ("CLIENT_ID", "CLIENT_SECRET", "WEBHOOK_VERIFY_TOKEN", "WEBHOOK_SUBSCRIPTION_ID"):
        monkeypatch.delenv(f"OPENFIT_STRAVA_{name}", raising=False)
    # a recent history: a sync re-reads only the last days (lookback), where a new night lands
    today = datetime.now(UTC).date()
    config = OuraMockConfig(days=4, first_day=today - timedelta(days=6), page_size=7)
    with OuraMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("OPENFIT_OURA_BACKFILL_SINCE", (config.first_day - timedelta(days=1)).isoformat())
        get_settings.cache_clear()
        yield mock


def _count(path, sql: str) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


@pytest.mark.slow
def test_signed_oura_notification_syncs_only_its_collection_and_publishes(oura_home) -> None:
    from ingestion.sources.oura import OuraSettings
    from ingestion.webhooks.schemes import sign_timestamped
    from orchestration.build import run_build
    from orchestration.defs import build_definitions
    from orchestration.defs.webhooks import WEBHOOK_SENSOR
    from orchestration.instance import prepare_instance, writer_tags

    mock = oura_home
    token = mock.issue_tokens(scope="personal daily heartrate workout session spo2")
    TokenStore.from_settings().save("oura", "me", {k: token[k] for k in ("access_token", "refresh_token")})
    report = run_build()
    assert report.success, report.failure
    user_id = TokenStore.from_settings().provider_user_id("oura", "me")
    assert user_id  # recorded by the sync (personal_info.id)

    settings = get_settings()
    snapshot = settings.home_dir / "serving" / "snapshot.duckdb"
    sleep_sql = "select count(*) from openfit.sleep_sessions where source = 'oura'"
    sleeps_before = _count(snapshot, sleep_sql)
    assert sleeps_before == len(mock.docs["sleep"])
    activity_before = _count(settings.warehouse_path, "select count(*) from raw_oura.daily_activity")
    mock.add_day()

    event = {
        "event_type": "create",
        "data_type": "sleep",
        "object_id": mock.docs["sleep"][-1]["id"],
        "event_time": datetime.now(UTC).isoformat(timespec="seconds"),
        "user_id": user_id,
    }
    body = json.dumps(event).encode()
    timestamp = str(int(time.time()))
    secret = OuraSettings().client_secret.get_secret_value()
    headers = {
        "x-oura-timestamp": timestamp,
        "x-oura-signature": sign_timestamped(secret, timestamp, body, "hex_upper"),
        "content-type": "application/json",
    }
    receiver = LiveReceiver({**os.environ, "OPENFIT_HOME": str(settings.home_dir)})
    try:
        answer = httpx.post(f"{receiver.url}/webhooks/oura", content=body, headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        replay = httpx.post(f"{receiver.url}/webhooks/oura", content=body, headers=headers, timeout=10)
        assert replay.status_code == 401
    finally:
        receiver.stop()

    prepare_instance(settings)
    defs = build_definitions()
    sensor = defs.resolve_sensor_def(WEBHOOK_SENSOR)
    instance = dg.DagsterInstance.get()
    [request] = sensor(dg.build_sensor_context(instance=instance, definitions=defs)).run_requests
    assert request.run_config["ops"]["raw_oura"]["config"] == {"athletes": ["me"], "collections": ["sleep"]}
    run = defs.resolve_job_def(request.job_name).execute_in_process(
        instance=instance, run_config=request.run_config, tags={**request.tags, **writer_tags()}
    )
    assert run.success
    sensor(dg.build_sensor_context(instance=instance, definitions=defs))

    intake = Intake.for_home(settings.home_dir)
    [delivery] = intake.deliveries()
    intake.close()
    assert (delivery.status, delivery.run_id) == ("processed", run.run_id)
    assert _count(snapshot, sleep_sql) == sleeps_before + 1 == len(mock.docs["sleep"])
    # only the notified collection was synced: the new day's activity document is not loaded yet
    assert _count(settings.warehouse_path, "select count(*) from raw_oura.daily_activity") == activity_before
