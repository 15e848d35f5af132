"""Oura provider: OAuth2 connection, dlt source and registry entry (entry point `oura`)."""

from __future__ import annotations

from typing import Any

from ingestion.registry import ApiSync, Capability, Provider
from ingestion.sources.oura.settings import OuraSettings
from ingestion.sources.oura.webhook import WEBHOOK

# Tables the source writes in raw_oura (dbt's sources and the Dagster asset keys name them).
RAW_TABLES = (
    "personal_info",
    "heart_rate",
    "sleep",
    "daily_sleep",
    "daily_readiness",
    "daily_activity",
    "workout",
    "session",
    "daily_spo2",
    "daily_stress",
    "vo2_max",
)


def _dlt_source(*args: Any, **kwargs: Any) -> Any:
    """`oura_source(...)`, imported on first use: listing providers or refreshing a token need not import dlt."""
    from ingestion.sources.oura.source import oura_source

    return oura_source(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if name in ("oura_source", "sync_oura", "make_client"):
        from ingestion.sources.oura import source

        return getattr(source, name)
    raise AttributeError(name)


def _is_configured() -> bool:
    return OuraSettings().is_configured()


def _sync(pipeline: Any, athlete: str, **kwargs: Any) -> dict[str, Any]:
    """`sync_oura(pipeline, athlete, OuraSettings(), ...)`: one connected athlete, chunk by chunk."""
    from ingestion.sources.oura.source import sync_oura

    return sync_oura(pipeline, athlete, OuraSettings(), **kwargs)


def _schedule_cron() -> str:
    return OuraSettings().schedule_cron


PROVIDER = Provider(
    name="oura",
    display_name="Oura",
    capabilities=Capability.SLEEP | Capability.RECOVERY | Capability.HEALTH_METRICS | Capability.ACTIVITIES,
    kind="api",
    description="Sleep, readiness, activity, heart rate, workouts, sessions, SpO2, stress and VO2max via Oura API v2.",
    dlt_source=_dlt_source,
    is_configured=_is_configured,
    api_sync=ApiSync(raw_tables=RAW_TABLES, sync=_sync, schedule_cron=_schedule_cron),
    webhook=WEBHOOK,
)

__all__ = ["PROVIDER", "OuraSettings", "make_client", "oura_source", "sync_oura"]


def oauth_config():  # noqa: ANN201
    """The OAuth2 configuration from OPENFIT_OURA_* settings (used by `openfit connect oura`)."""
    return OuraSettings().oauth_config()
