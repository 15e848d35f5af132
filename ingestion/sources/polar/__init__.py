"""Polar provider: OAuth2 connection with user registration, dlt source and registry entry (entry point
`polar`)."""

from __future__ import annotations

from typing import Any

from ingestion.registry import ApiSync, Capability, Provider
from ingestion.sources.polar.settings import PolarSettings
from ingestion.sources.polar.webhook import WEBHOOK

# Tables the source writes in raw_polar (dbt's sources and the Dagster asset keys name them).
RAW_TABLES = ("user", "exercise", "sleep", "nightly_recharge", "activity", "continuous_heart_rate")


def _dlt_source(*args: Any, **kwargs: Any) -> Any:
    """`polar_source(...)`, imported on first use: listing providers need not import dlt."""
    from ingestion.sources.polar.source import polar_source

    return polar_source(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if name in ("polar_source", "sync_polar", "make_client"):
        from ingestion.sources.polar import source

        return getattr(source, name)
    raise AttributeError(name)


def _is_configured() -> bool:
    return PolarSettings().is_configured()


def _sync(pipeline: Any, athlete: str, **kwargs: Any) -> dict[str, Any]:
    """`sync_polar(pipeline, athlete, PolarSettings(), ...)`: one connected athlete, chunk by chunk."""
    from ingestion.sources.polar.source import sync_polar

    return sync_polar(pipeline, athlete, PolarSettings(), **kwargs)


def _schedule_cron() -> str:
    return PolarSettings().schedule_cron


PROVIDER = Provider(
    name="polar",
    display_name="Polar",
    capabilities=Capability.ACTIVITIES | Capability.SLEEP | Capability.RECOVERY | Capability.HEALTH_METRICS,
    kind="api",
    description="Exercises with samples, zones and routes, sleep with stages, Nightly Recharge (HRV RMSSD), "
    "daily activity and continuous heart rate from Polar AccessLink v3 (Polar watches and sensors).",
    dlt_source=_dlt_source,
    is_configured=_is_configured,
    api_sync=ApiSync(raw_tables=RAW_TABLES, sync=_sync, schedule_cron=_schedule_cron),
    webhook=WEBHOOK,
)

__all__ = ["PROVIDER", "PolarSettings", "make_client", "polar_source", "sync_polar"]


def oauth_config():  # noqa: ANN201
    """The OAuth2 configuration from OPENFIT_POLAR_* settings (used by `openfit connect polar`)."""
    return PolarSettings().oauth_config()
