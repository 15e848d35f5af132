"""Oura provider: OAuth2 connection, dlt source and registry entry (entry point `oura`)."""

from __future__ import annotations

from ingestion.registry import Capability, Provider
from ingestion.sources.oura.settings import OuraSettings
from ingestion.sources.oura.source import make_client, oura_source, sync_oura


def _is_configured() -> bool:
    return OuraSettings().is_configured()


PROVIDER = Provider(
    name="oura",
    display_name="Oura",
    capabilities=Capability.SLEEP | Capability.RECOVERY | Capability.HEALTH_METRICS | Capability.ACTIVITIES,
    kind="api",
    description="Sleep, readiness, activity, heart rate, workouts, sessions, SpO2, stress and VO2max via Oura API v2.",
    dlt_source=oura_source,
    is_configured=_is_configured,
)

__all__ = ["PROVIDER", "OuraSettings", "make_client", "oura_source", "sync_oura"]
