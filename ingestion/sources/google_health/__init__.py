"""Google Health API provider (successor of the Fitbit Web API): OAuth2 connection, dlt source and registry
entry (entry point `google_health`)."""

from __future__ import annotations

from typing import Any

from ingestion.registry import ApiSync, Capability, Provider
from ingestion.sources.google_health.settings import GoogleHealthSettings

# Tables the source writes in raw_google_health (dbt's sources and the Dagster asset keys name them).
RAW_TABLES = (
    "identity",
    "paired_devices",
    "exercise",
    "sleep",
    "steps",
    "heart_rate",
    "daily_heart_rate_variability",
    "daily_resting_heart_rate",
    "daily_oxygen_saturation",
    "weight",
    "body_fat",
)


def _dlt_source(*args: Any, **kwargs: Any) -> Any:
    """`google_health_source(...)`, imported on first use: listing providers need not import dlt."""
    from ingestion.sources.google_health.source import google_health_source

    return google_health_source(*args, **kwargs)


def __getattr__(name: str) -> Any:
    if name in ("google_health_source", "sync_google_health", "make_client"):
        from ingestion.sources.google_health import source

        return getattr(source, name)
    raise AttributeError(name)


def _is_configured() -> bool:
    return GoogleHealthSettings().is_configured()


def _sync(pipeline: Any, athlete: str, **kwargs: Any) -> dict[str, Any]:
    """`sync_google_health(pipeline, athlete, GoogleHealthSettings(), ...)`: one athlete, chunk by chunk."""
    from ingestion.sources.google_health.source import sync_google_health

    return sync_google_health(pipeline, athlete, GoogleHealthSettings(), **kwargs)


def _schedule_cron() -> str:
    return GoogleHealthSettings().schedule_cron


PROVIDER = Provider(
    name="google_health",
    display_name="Google Health",
    capabilities=Capability.ACTIVITIES | Capability.SLEEP | Capability.RECOVERY | Capability.HEALTH_METRICS,
    kind="api",
    description="Exercise sessions, sleep with stages, steps, heart rate, HRV (RMSSD), resting heart rate, "
    "SpO2, weight and body fat via the Google Health API v4 (Fitbit and Pixel Watch; successor of the "
    "Fitbit Web API).",
    dlt_source=_dlt_source,
    is_configured=_is_configured,
    api_sync=ApiSync(raw_tables=RAW_TABLES, sync=_sync, schedule_cron=_schedule_cron),
)

__all__ = ["PROVIDER", "GoogleHealthSettings", "google_health_source", "make_client", "sync_google_health"]


def oauth_config():  # noqa: ANN201
    """The OAuth2 configuration from OPENFIT_GOOGLE_HEALTH_* settings (`openfit connect google_health`)."""
    return GoogleHealthSettings().oauth_config()
