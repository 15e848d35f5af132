"""Strava provider: OAuth2 connection, dlt source and registry entry (entry point `strava`)."""

from __future__ import annotations

from typing import Any

from ingestion.registry import Capability, Provider
from ingestion.sources.strava.settings import StravaSettings


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


PROVIDER = Provider(
    name="strava",
    display_name="Strava",
    capabilities=Capability.ACTIVITIES,
    kind="api",
    description="Activities with detail, laps, streams and athlete zones via the Strava API v3 (OAuth2).",
    dlt_source=_dlt_source,
    is_configured=_is_configured,
)

__all__ = ["PROVIDER", "StravaSettings", "make_client", "strava_source", "sync_strava"]


def oauth_config():  # noqa: ANN201 (OAuthConfig; imported lazily by the connect commands)
    """The OAuth2 configuration from OPENFIT_STRAVA_* settings (used by `openfit connect strava`)."""
    return StravaSettings().oauth_config()
