"""Wahoo provider: OAuth2 connection, dlt source and registry entry (entry point `wahoo`)."""

from __future__ import annotations

from typing import Any

from ingestion.registry import ApiSync, Capability, Provider
from ingestion.sources.wahoo.settings import WahooSettings
from ingestion.sources.wahoo.webhook import WEBHOOK

# Tables the source writes in raw_wahoo (dbt's sources and the Dagster asset keys name them).
RAW_TABLES = ("user", "workout")


def _dlt_source(*args: Any, **kwargs: Any) -> Any:
    """`wahoo_source(...)`, imported on first use: listing providers or refreshing a token need not import dlt."""
    from ingestion.sources.wahoo.source import wahoo_source

    return wahoo_source(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if name in ("wahoo_source", "sync_wahoo", "make_client"):
        from ingestion.sources.wahoo import source

        return getattr(source, name)
    raise AttributeError(name)


def _is_configured() -> bool:
    return WahooSettings().is_configured()


def _sync(pipeline: Any, athlete: str, **kwargs: Any) -> dict[str, Any]:
    """`sync_wahoo(pipeline, athlete, WahooSettings(), ...)`: one connected athlete, chunk by chunk."""
    from ingestion.sources.wahoo.source import sync_wahoo

    return sync_wahoo(pipeline, athlete, WahooSettings(), **kwargs)


def _schedule_cron() -> str:
    return WahooSettings().schedule_cron


PROVIDER = Provider(
    name="wahoo",
    display_name="Wahoo",
    capabilities=Capability.ACTIVITIES,
    kind="api",
    description="Workouts with their summaries (distance, duration, power, speed, heart rate, calories) from "
    "the Wahoo Cloud API v1 (ELEMNT bike computers, KICKR trainers, the Wahoo apps).",
    dlt_source=_dlt_source,
    is_configured=_is_configured,
    api_sync=ApiSync(raw_tables=RAW_TABLES, sync=_sync, schedule_cron=_schedule_cron),
    webhook=WEBHOOK,
)

__all__ = ["PROVIDER", "WahooSettings", "make_client", "sync_wahoo", "wahoo_source"]


def oauth_config():  # noqa: ANN201
    """The OAuth2 configuration from OPENFIT_WAHOO_* settings (used by `openfit connect wahoo`)."""
    return WahooSettings().oauth_config()
