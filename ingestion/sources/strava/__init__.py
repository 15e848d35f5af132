"""Strava provider: OAuth2 connection, dlt source and registry entry (entry point `strava`)."""

from __future__ import annotations

from ingestion.registry import Capability, Provider
from ingestion.sources.strava.settings import StravaSettings
from ingestion.sources.strava.source import make_client, strava_source, sync_strava


def _is_configured() -> bool:
    return StravaSettings().is_configured()


PROVIDER = Provider(
    name="strava",
    display_name="Strava",
    capabilities=Capability.ACTIVITIES,
    kind="api",
    description="Activities with detail, laps, streams and athlete zones via the Strava API v3 (OAuth2).",
    dlt_source=strava_source,
    is_configured=_is_configured,
)

__all__ = ["PROVIDER", "StravaSettings", "make_client", "strava_source", "sync_strava"]
