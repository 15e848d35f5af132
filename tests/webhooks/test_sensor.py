"""The webhook sensor: coalesces pending deliveries into one run per (provider, athlete) with the collections
the data types need, holds an athlete's newer deliveries while its run is unfinished, marks deliveries
processed with the run id (or pending again after a failed run), and is part of the code location."""

from __future__ import annotations

import dagster as dg
import pytest

from ingestion.registry import discover
from ingestion.webhooks.intake import MAX_ATTEMPTS, Intake
from ingestion.webhooks.schemes import Notification
from openfit.settings import get_settings
from orchestration.defs.webhooks import BATCH_TAG, WEBHOOK_SENSOR, build_webhook_sensor


@pytest.fixture
def intake(home) -> Intake:
    queue = Intake.for_home(get_settings().home_dir)
    yield queue
    queue.close()


def _accept(
    intake: Intake, provider: str, athlete: str | None, data_type: str, key: str, user: str = "u"
) -> None:
    note = Notification(provider_user_id=user, data_type=data_type, object_id=key, event_type="update")
    intake.accept(provider, key, [(note, athlete, "pending" if athlete else "unmatched")])


def _sensor() -> dg.SensorDefinition:
    providers = [p for p in discover().values() if p.webhook is not None]
    jobs = {
        p.name: dg.define_asset_job(f"{p.name}_sync", selection=dg.AssetSelection.all()) for p in providers
    }
    return build_webhook_sensor(providers, jobs)


def _tick(sensor: dg.SensorDefinition, instance: dg.DagsterInstance) -> list[dg.RunRequest]:
    result = sensor(dg.build_sensor_context(instance=instance))
    return list(result.run_requests or []) if isinstance(result, dg.SensorResult) else []


@dg.op
def _ok() -> None:
    pass


@dg.op
def _boom() -> None:
    raise RuntimeError("sync failed")


@dg.job
def _succeeding():
    _ok()


@dg.job
def _failing():
    _boom()


def test_deliveries_coalesce_into_one_run_per_athlete(intake: Intake) -> None:
    for i, data_type in enumerate(["sleep", "sleep", "daily_activity", "tag"]):
        _accept(intake, "oura", "ann", data_type, f"o{i}")
    _accept(intake, "oura", "bob", "workout", "o9")
    _accept(intake, "oura", "cat", "tag", "o10")  # nothing the source loads
    _accept(intake, "strava", "ann", "activity", "s1")
    _accept(intake, "strava", "ann", "activity", "s2")
    _accept(intake, "oura", None, "sleep", "o11", user="stranger")

    with dg.instance_for_test() as instance:
        requests = _tick(_sensor(), instance)
    by_target = {(r.tags["openfit/provider"], r.tags["openfit/athlete"]): r for r in requests}
    assert set(by_target) == {("oura", "ann"), ("oura", "bob"), ("strava", "ann")}
    oura_ann = by_target[("oura", "ann")]
    assert oura_ann.job_name == "oura_sync"
    assert oura_ann.run_config["ops"]["raw_oura"]["config"] == {
        "athletes": ["ann"],
        "collections": ["daily_activity", "sleep"],
    }
    assert by_target[("strava", "ann")].run_config["ops"]["raw_strava"]["config"] == {
        "athletes": ["ann"],
        "collections": [],  # Strava's source has no resource filter: the athlete's incremental sync
    }
    assert oura_ann.tags[BATCH_TAG] == oura_ann.run_key
    status = {d.object_id: (d.status, d.run_key) for d in intake.deliveries()}
    assert {status[f"o{i}"] for i in range(4)} == {("launched", oura_ann.run_key)}
    assert status["o10"] == ("ignored", None)
    assert status["o11"] == ("unmatched", None)


def test_processed_with_the_run_id_and_newer_deliveries_wait_for_the_next_run(intake: Intake) -> None:
    sensor = _sensor()
    _accept(intake, "strava", "ann", "activity", "s1")
    with dg.instance_for_test() as instance:
        [first] = _tick(sensor, instance)
        _accept(intake, "strava", "ann", "activity", "s2")  # arrives while the first run is queued
        assert _tick(sensor, instance) == []  # held: one run per athlete at a time
        result = _succeeding.execute_in_process(instance=instance, tags=first.tags)
        [second] = _tick(sensor, instance)  # settles the first batch, launches the held delivery
        assert second.run_key != first.run_key
        s1, s2 = sorted(intake.deliveries(), key=lambda d: d.object_id)
        assert (s1.status, s1.run_id) == ("processed", result.run_id) and s1.processed_at is not None
        assert (s2.status, s2.run_key) == ("launched", second.run_key)
        assert _tick(sensor, instance) == []
        again = _succeeding.execute_in_process(instance=instance, tags=second.tags)
        assert _tick(sensor, instance) == []
    s2 = next(d for d in intake.deliveries() if d.object_id == "s2")
    assert (s2.status, s2.run_id) == ("processed", again.run_id)


def test_failed_run_is_retried_then_given_up(intake: Intake) -> None:
    sensor = _sensor()
    _accept(intake, "oura", "ann", "sleep", "o1")
    with dg.instance_for_test() as instance:
        keys = set()
        for _ in range(MAX_ATTEMPTS):
            [request] = _tick(sensor, instance)
            keys.add(request.run_key)
            _failing.execute_in_process(instance=instance, tags=request.tags, raise_on_error=False)
        assert _tick(sensor, instance) == []
    assert len(keys) == MAX_ATTEMPTS  # every retry is a new run key (Dagster skips a repeated one)
    [delivery] = intake.deliveries()
    assert (delivery.status, delivery.attempts) == ("failed", MAX_ATTEMPTS)


def test_code_location_has_the_webhook_sensor(home, monkeypatch) -> None:
    from orchestration.defs import build_definitions

    monkeypatch.setenv("OPENFIT_SYNTHETIC_ATHLETES", "1")
    defs = build_definitions()
    sensor = defs.resolve_sensor_def(WEBHOOK_SENSOR)
    assert {job.name for job in sensor.jobs} == {"strava_sync", "oura_sync"}
    # the sync job is the provider's extract, then the transform and the publish
    ops = {node.name for node in defs.resolve_job_def("oura_sync").graph.node_dict.values()}
    assert {"raw_oura", "openfit_dbt"} <= ops and "raw_strava" not in ops


def test_old_replay_keys_are_forgotten(intake: Intake) -> None:
    import time

    from ingestion.webhooks.intake import SEEN_RETENTION_S, Replay

    note = Notification(provider_user_id="u", data_type="sleep")
    intake.accept("oura", "old-key", [(note, "ann", "pending")], now=time.time() - SEEN_RETENTION_S - 10)
    intake.accept("oura", "new-key", [(note, "ann", "pending")])
    with pytest.raises(Replay):
        intake.accept("oura", "new-key", [(note, "ann", "pending")])
    assert intake.forget_old_keys() == 1
    with pytest.raises(Replay):  # the recent key is kept
        intake.accept("oura", "new-key", [(note, "ann", "pending")])
    assert len(intake.deliveries()) == 2  # a replay queues nothing
