"""Assemble the code location: raw (dlt) -> dbt -> publish, one job, one schedule."""

from __future__ import annotations

import dagster as dg
from dagster_dlt import DagsterDltResource

from ingestion.registry import discover
from openfit.settings import get_settings
from orchestration.defs.checks import build_quality_checks
from orchestration.defs.files import build_inbox_sensor, inbox_job
from orchestration.defs.ingest import provider_assets
from orchestration.defs.publish import build_publish_asset
from orchestration.defs.transform import build_dbt_assets, dbt_resource

REFRESH_JOB = "refresh_all"


def build_definitions() -> dg.Definitions:
    settings = get_settings()
    settings.ensure_dirs()
    providers = [p for p in discover().values() if p.dlt_source is not None and p.is_configured()]
    raw = [provider_assets(p) for p in providers]
    dbt = build_dbt_assets()
    publish = build_publish_asset(upstream=list(dbt.keys))
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
    jobs, sensors = [refresh], []
    if any(p.name == "files" for p in providers):  # the inbox: files dropped there are imported
        inbox = inbox_job()
        jobs.append(inbox)
        sensors.append(build_inbox_sensor(inbox))
    return dg.Definitions(
        assets=[*raw, dbt, publish],
        asset_checks=build_quality_checks(),  # GE suites; blocking ones keep a bad build from being published
        jobs=jobs,
        schedules=[daily],
        sensors=sensors,
        resources={"dlt": DagsterDltResource(), "dbt": dbt_resource()},
    )
