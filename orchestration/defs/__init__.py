"""Assemble the code location: raw (dlt) -> dbt -> publish; the refresh job and schedule, the inbox, and per
configured API provider its asset group, schedule and backfill job, and the webhook sensor for those that push."""

from __future__ import annotations

import dagster as dg
from dagster_dlt import DagsterDltResource

from ingestion.registry import discover
from openfit.settings import get_settings
from orchestration.defs.checks import build_quality_checks
from orchestration.defs.files import build_inbox_sensor, files_assets, inbox_job, raw_files_job
from orchestration.defs.ingest import provider_assets
from orchestration.defs.providers import provider_jobs, provider_sync_assets
from orchestration.defs.publish import build_publish_asset, data_docs
from orchestration.defs.transform import PUBLISHED_LAYERS, build_dbt_assets, dbt_resource
from orchestration.defs.webhooks import build_webhook_sensor

REFRESH_JOB = "refresh_all"
# Transform what the raw layer received since the last build and publish it, without extracting anything
# (`openfit import` loads its files first, then runs this).
TRANSFORM_JOB = "transform_and_publish"


def build_definitions() -> dg.Definitions:
    settings = get_settings()
    settings.ensure_dirs()
    # Configured (credentials present) and not switched off in the home's settings.
    providers = [
        p for p in discover().values() if p.is_configured() and p.name not in settings.disabled_providers
    ]
    # Unconfigured API providers (no client credentials) get no assets: available, not an error.
    api_providers = [p for p in providers if p.api_sync is not None]
    raw = [
        files_assets(p) if p.kind == "file" else provider_assets(p)
        for p in providers
        if p.api_sync is None and p.dlt_source is not None
    ]
    raw += [provider_sync_assets(p) for p in api_providers]
    dbt = build_dbt_assets()
    # The snapshot copies the published layers: it waits for their tables (an incremental build does not
    # rebuild the unchanged staging and intermediate views, so those are not materialized every run).
    publish = build_publish_asset(upstream=[key for key in dbt.keys if key.path[0] in PUBLISHED_LAYERS])
    refresh = dg.define_asset_job(
        REFRESH_JOB,
        selection=dg.AssetSelection.all(),
        description="Extract every configured source, rebuild the OpenFit schema and marts, publish the snapshot.",
    )
    daily = dg.ScheduleDefinition(
        name="daily_refresh",
        job=refresh,
        cron_schedule=settings.schedule_cron,
        execution_timezone=settings.schedule_timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    raw_layer = dg.AssetSelection.groups("raw") | dg.AssetSelection.tag("openfit/layer", "raw")
    for provider in api_providers:
        raw_layer |= dg.AssetSelection.groups(provider.name)
    transform_only = dg.define_asset_job(
        TRANSFORM_JOB,
        selection=dg.AssetSelection.all() - raw_layer,
        description="Transform the loads the raw layer received since the last build (incrementally) and publish.",
    )
    jobs, sensors, schedules = [refresh, transform_only], [], [daily]
    sync_jobs = {}
    for provider in api_providers:
        provider_job_defs, schedule = provider_jobs(provider)
        jobs += provider_job_defs
        schedules.append(schedule)
        sync_jobs[provider.name] = provider_job_defs[0]
    if any(p.webhook is not None for p in api_providers):  # push notifications: sync the athlete they name
        sensors.append(build_webhook_sensor(api_providers, sync_jobs))
    if any(p.name == "files" for p in providers):  # the inbox: files dropped there are imported
        inbox = inbox_job()
        jobs += [inbox, raw_files_job()]
        sensors.append(build_inbox_sensor(inbox))
    return dg.Definitions(
        assets=[*raw, dbt, publish, data_docs],
        asset_checks=build_quality_checks(),  # GE suites; blocking ones keep a bad build from being published
        jobs=jobs,
        schedules=schedules,
        sensors=sensors,
        resources={"dlt": DagsterDltResource(), "dbt": dbt_resource()},
    )
