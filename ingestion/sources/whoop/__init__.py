"""WHOOP provider: OAuth2 connection, dlt source and registry entry (entry point `whoop`)."""

from __future__ import annotations

from typing import Any

from ingestion.registry import ApiSync, Capability, Provider
from ingestion.sources.whoop.settings import WhoopSettings
from ingestion.sources.whoop.webhook import WEBHOOK

# Tables the source writes in raw_whoop (dbt's sources and the Dagster asset keys name them).
RAW_TABLES = ("profile", "body_measurement", "cycle", "recovery", "sleep", "workout")


def _dlt_source(*args: Any, **kwargs: Any) -> Any:
    """`whoop_source(...)`, imported on first use: listing providers or refreshing a token need not import dlt."""
    from ingestion.sources.whoop.source import whoop_source

    return whoop_source(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if name in ("whoop_source", "sync_whoop", "make_client"):
        from ingestion.sources.whoop import source

        return getattr(source, name)
    raise AttributeError(name)


def _is_configured() -> bool:
    return WhoopSettings().is_configured()


def _sync(pipeline: Any, athlete: str, **kwargs: Any) -> dict[str, Any]:
    """`sync_whoop(pipeline, athlete, WhoopSettings(), ...)`: one connected athlete, chunk by chunk."""
    from ingestion.sources.whoop.source import sync_whoop

    return sync_whoop(pipeline, athlete, WhoopSettings(), **kwargs)


def _schedule_cron() -> str:
    return WhoopSettings().schedule_cron


PROVIDER = Provider(
    name="whoop",
    display_name="WHOOP",
    capabilities=Capability.ACTIVITIES | Capability.SLEEP | Capability.RECOVERY | Capability.HEALTH_METRICS,
    kind="api",
    description="Cycles (strain), recovery (HRV, resting HR, SpO2, skin temperature), sleep, workouts and body "
    "measurements via the WHOOP developer API v2.",
    dlt_source=_dlt_source,
    is_configured=_is_configured,
    api_sync=ApiSync(raw_tables=RAW_TABLES, sync=_sync, schedule_cron=_schedule_cron),
    webhook=WEBHOOK,
)

__all__ = ["PROVIDER", "WhoopSettings", "make_client", "sync_whoop", "whoop_source"]


def oauth_config():  # noqa: ANN201
    """The OAuth2 configuration from OPENFIT_WHOOP_* settings (used by `openfit connect whoop`)."""
    return WhoopSettings().oauth_config()
