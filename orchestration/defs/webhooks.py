"""Push notifications into syncs: the webhook sensor.

The receiver (ingestion/webhooks/app.py) queues verified notifications in ``$OPENFIT_HOME/webhooks/
intake.sqlite``. Every tick this sensor

1. settles earlier launches: a batch whose run succeeded is ``processed`` (with the run id), a failed one waits
   for another run (``failed`` after ``MAX_ATTEMPTS``), a launch that never became a run is released;
2. looks again for the athlete of ``unmatched`` deliveries (an athlete connected since, or whose provider
   user id the last sync recorded);
3. coalesces the pending deliveries per (provider, athlete): one run of the provider's sync job for that
   athlete alone, limited to the collections the notifications' data types need where the provider's source
   filters by resource (``Webhook.collections``), followed by the incremental transform and publish (the
   sync job's selection). Deliveries of data types the source does not load are ``ignored``.

While a batch of an athlete is launched and unfinished, newer deliveries of that athlete wait and go into the
next run together: every genuine notification is served by exactly one athlete sync.
"""

from __future__ import annotations

import time
from typing import Any

import dagster as dg

from ingestion.auth.tokens import TokenStore
from ingestion.registry import Provider
from ingestion.webhooks.intake import Delivery, Intake
from openfit.settings import get_settings

WEBHOOK_SENSOR = "webhook_sensor"
BATCH_TAG = "openfit/webhook_batch"
ATHLETE_TAG = "openfit/athlete"
PROVIDER_TAG = "openfit/provider"
MIN_INTERVAL_S = 10
# A launch the daemon has not turned into a run after this long is released (the daemon stopped in between).
LAUNCH_TIMEOUT_S = 600.0
# Unmatched deliveries are looked at again for this long.
REMATCH_WINDOW_S = 86400.0
FINISHED = {
    dg.DagsterRunStatus.SUCCESS: True,
    dg.DagsterRunStatus.FAILURE: False,
    dg.DagsterRunStatus.CANCELED: False,
}


def settle_launches(instance: dg.DagsterInstance, intake: Intake, now: float | None = None) -> dict[str, int]:
    """Step 1: record what became of the runs launched for earlier batches. Returns counts per outcome."""
    now = time.time() if now is None else now
    outcome = {"processed": 0, "retry": 0, "released": 0}
    for run_key, deliveries in intake.launched_keys().items():
        runs = instance.get_runs(filters=dg.RunsFilter(tags={BATCH_TAG: run_key}), limit=1)
        if not runs:
            launched_at = min((d.launched_at or now) for d in deliveries)
            if now - launched_at > LAUNCH_TIMEOUT_S:
                outcome["released"] += intake.release(run_key)
            continue
        run = runs[0]
        if run.status in FINISHED:
            changed = intake.finish(run_key, run.run_id, FINISHED[run.status], now=now)
            outcome["processed" if FINISHED[run.status] else "retry"] += changed
        else:
            intake.note_run(run_key, run.run_id)
    return outcome


def rematch(intake: Intake, store: TokenStore, now: float | None = None) -> int:
    """Step 2: give unmatched deliveries their athlete if one is connected now."""
    now = time.time() if now is None else now
    matched = 0
    for delivery in intake.deliveries("unmatched"):
        if now - delivery.received_at > REMATCH_WINDOW_S:
            continue
        athlete = store.athlete_for(delivery.provider, delivery.provider_user_id)
        if athlete is not None:
            intake.match(delivery.id, athlete)
            matched += 1
    return matched


def batch_run_key(provider: str, athlete: str, deliveries: list[Delivery]) -> str:
    attempt = max(d.attempts for d in deliveries) + 1
    return f"webhook:{provider}:{athlete}:{max(d.id for d in deliveries)}.{attempt}"


def plan_runs(
    intake: Intake, providers: dict[str, Provider], job_names: dict[str, str], now: float | None = None
) -> list[dg.RunRequest]:
    """Step 3: one run request per (provider, athlete) with pending deliveries; marks them launched."""
    busy = {(d[0].provider, d[0].athlete) for d in intake.launched_keys().values() if d}
    groups: dict[tuple[str, str], list[Delivery]] = {}
    for delivery in intake.deliveries("pending"):
        if delivery.athlete is None:
            continue
        groups.setdefault((delivery.provider, delivery.athlete), []).append(delivery)
    requests = []
    for (name, athlete), deliveries in sorted(groups.items()):
        provider = providers.get(name)
        if provider is None or provider.webhook is None or name not in job_names:
            continue  # not configured (or disabled) here: the deliveries wait
        if (name, athlete) in busy:
            continue  # the next run takes them, together with whatever else arrives meanwhile
        data_types = frozenset(d.data_type for d in deliveries)
        collections = provider.webhook.collections(data_types)
        ids = [d.id for d in deliveries]
        if collections is not None and not collections:
            intake.set_status(ids, "ignored")
            continue
        run_key = batch_run_key(name, athlete, deliveries)
        config: dict[str, Any] = {"athletes": [athlete], "collections": list(collections or [])}
        intake.launch(ids, run_key, now=now)
        requests.append(
            dg.RunRequest(
                run_key=run_key,
                job_name=job_names[name],
                run_config={"ops": {provider.raw_dataset: {"config": config}}},
                tags={BATCH_TAG: run_key, ATHLETE_TAG: athlete, PROVIDER_TAG: name},
            )
        )
    return requests


def build_webhook_sensor(
    providers: list[Provider], sync_jobs: dict[str, dg.UnresolvedAssetJobDefinition]
) -> dg.SensorDefinition:
    """The sensor over the providers that declare a webhook; `sync_jobs` maps each to its sync job."""
    by_name = {p.name: p for p in providers if p.webhook is not None and p.name in sync_jobs}
    job_names = {name: sync_jobs[name].name for name in by_name}

    @dg.sensor(
        name=WEBHOOK_SENSOR,
        jobs=[sync_jobs[name] for name in sorted(by_name)],
        minimum_interval_seconds=MIN_INTERVAL_S,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Syncs the athlete a provider's push notification names (`openfit webhooks`), then "
        "transforms and publishes.",
    )
    def _webhook_sensor(context: dg.SensorEvaluationContext):
        settings = get_settings()
        intake = Intake.for_home(settings.home_dir)
        try:
            settled = settle_launches(context.instance, intake)
            matched = rematch(intake, TokenStore.from_settings(settings))
            requests = plan_runs(intake, by_name, job_names)
            intake.forget_old_keys()  # older deliveries fail the freshness window anyway
        finally:
            intake.close()
        if any(settled.values()) or matched:
            context.log.info("webhook deliveries: %s, %d matched to an athlete", settled, matched)
        if not requests:
            return dg.SkipReason("no pending webhook deliveries")
        return dg.SensorResult(run_requests=requests)

    return _webhook_sensor
