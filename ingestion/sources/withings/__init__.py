"""Withings provider: OAuth2 connection, dlt source and registry entry (entry point `withings`)."""

from __future__ import annotations

from typing import Any

from ingestion.registry import ApiSync, Capability, Provider
from ingestion.sources.withings.settings import WithingsSettings
from ingestion.sources.withings.webhook import WEBHOOK

# Tables the source writes in raw_withings (dbt's sources and the Dagster asset keys name them).
RAW_TABLES = ("measure_groups", "activity", "sleep_summary", "workouts")


def _dlt_source(*args: Any, **kwargs: Any) -> Any:
    """`withings_source(...)`, imported on first use: listing providers or refreshing a token need not import dlt."""
    from ingestion.sources.withings.source import withings_source

    return withings_source(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if name in ("withings_source", "sync_withings", "make_client"):
        from ingestion.sources.withings import source

        return getattr(source, name)
    raise AttributeError(name)


def _is_configured() -> bool:
    return WithingsSettings().is_configured()


def _sync(pipeline: Any, athlete: str, **kwargs: Any) -> dict[str, Any]:
    """`sync_withings(pipeline, athlete, WithingsSettings(), ...)`: one connected athlete, chunk by chunk."""
    from ingestion.sources.withings.source import sync_withings

    return sync_withings(pipeline, athlete, WithingsSettings(), **kwargs)


def _schedule_cron() -> str:
    return WithingsSettings().schedule_cron


PROVIDER = Provider(
    name="withings",
    display_name="Withings",
    capabilities=Capability.HEALTH_METRICS | Capability.SLEEP | Capability.ACTIVITIES,
    kind="api",
    description="Body measures (scales, BP monitors), daily activity, sleep summaries and workouts via the Withings Public API.",
    dlt_source=_dlt_source,
    is_configured=_is_configured,
    api_sync=ApiSync(raw_tables=RAW_TABLES, sync=_sync, schedule_cron=_schedule_cron),
    webhook=WEBHOOK,
)

__all__ = ["PROVIDER", "WithingsSettings", "make_client", "sync_withings", "withings_source"]


def oauth_config():  # noqa: ANN201 (OAuthConfig; imported lazily by the connect commands)
    """The OAuth2 configuration from OPENFIT_WITHINGS_* settings (used by `openfit connect withings`)."""
    return WithingsSettings().oauth_config()
