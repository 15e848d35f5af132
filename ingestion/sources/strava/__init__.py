"""Strava provider: OAuth2 connection, dlt source and registry entry (entry point `strava`)."""

from __future__ import annotations

from typing import Any

from ingestion.registry import ApiSync, Capability, Provider
from ingestion.sources.strava.settings import StravaSettings
from ingestion.sources.strava.webhook import WEBHOOK

# Tables the source writes in raw_strava (dbt's sources and the Dagster asset keys name them).
RAW_TABLES = ("athlete", "athlete_zones", "activities", "activity_details", "laps", "activity_streams")


def _dlt_source(*args: Any, **kwargs: Any) -> Any:
    """`strava_source(...)`, imported on first use: listing providers or refreshing a token need not import dlt."""
    from ingestion.sources.strava.source import strava_source

    return strava_source(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if name in ("strava_source", "sync_strava", "make_client"):
        from ingestion.sources.strava import source

        return getattr(source, name)
    raise AttributeError(name)


def _is_configured() -> bool:
    return StravaSettings().is_configured()


def _sync(pipeline: Any, athlete: str, **kwargs: Any) -> dict[str, Any]:
    """`sync_strava(pipeline, athlete, StravaSettings(), ...)`: one connected athlete, chunk by chunk."""
    from ingestion.sources.strava.source import sync_strava

    return sync_strava(pipeline, athlete, StravaSettings(), **kwargs)


def _schedule_cron() -> str:
    return StravaSettings().schedule_cron


PROVIDER = Provider(
    name="strava",
    display_name="Strava",
    capabilities=Capability.ACTIVITIES,
    kind="api",
    description="Activities with detail, laps, streams and athlete zones via the Strava API v3 (OAuth2).",
    dlt_source=_dlt_source,
    is_configured=_is_configured,
    api_sync=ApiSync(raw_tables=RAW_TABLES, sync=_sync, schedule_cron=_schedule_cron),
    webhook=WEBHOOK,
)

__all__ = ["PROVIDER", "StravaSettings", "make_client", "strava_source", "sync_strava"]


def oauth_config():  # noqa: ANN201 (OAuthConfig; imported lazily by the connect commands)
    """The OAuth2 configuration from OPENFIT_STRAVA_* settings (used by `openfit connect strava`)."""
    return StravaSettings().oauth_config()
