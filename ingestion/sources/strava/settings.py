"""Strava settings: `OPENFIT_STRAVA_*` environment variables (or `.env`). Defaults are the real endpoints."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from ingestion.auth.provider_settings import ProviderSettings

# Read-only, least privilege for what we load: private activities (activity:read_all) and the zones
# endpoint (profile:read_all). No write scope.
DEFAULT_SCOPES = "read,activity:read_all,profile:read_all"
ALL_STREAM_KEYS = (
    "time,distance,latlng,altitude,velocity_smooth,heartrate,cadence,watts,temp,moving,grade_smooth"
)


class StravaSettings(ProviderSettings):
    model_config = SettingsConfigDict(env_prefix="OPENFIT_STRAVA_")
    PROVIDER = "strava"
    SCOPE_SEPARATOR = ","
    REVOKE_STYLE = "strava_deauthorize"

    auth_url: str = "https://www.strava.com/oauth/authorize"
    token_url: str = "https://www.strava.com/oauth/token"
    revoke_url: str = "https://www.strava.com/oauth/deauthorize"  # Strava calls it deauthorize
    api_base_url: str = "https://www.strava.com/api/v3"
    scopes: str = Field(default=DEFAULT_SCOPES, description="Comma-separated Strava scopes.")
    use_pkce: bool = Field(default=False, description="Strava does not document PKCE; enable if it does.")

    # Rate-limit windows (seconds): Strava's are 15 minutes and one UTC day. Benchmarks scale them down.
    rate_window_short_s: float = 900.0
    rate_window_long_s: float = 86400.0

    backfill_since: date | None = Field(
        default=None, description="Oldest activity date to load; default all."
    )
    lookback_days: float = Field(default=7.0, ge=0, description="Re-read window for edited activities.")
    per_page: int = Field(default=200, ge=1, le=200)
    workers: int = Field(default=4, ge=1, le=32, description="Parallel detail/laps/streams requests.")
    stream_keys: str = ALL_STREAM_KEYS
    chunk_activities: int = Field(default=200, ge=1, description="Activities per dlt load during a backfill.")
    # Off-peak, apart from the daily full refresh (OPENFIT_SCHEDULE_CRON, 04:00) and the other providers.
    schedule_cron: str = Field(default="15 2 * * *", description="When Dagster syncs strava (cron syntax).")

    # Push subscriptions (`openfit webhooks`): Strava echoes the verify token in its GET handshake and names the
    # subscription in every event; it does not sign events.
    webhook_verify_token: SecretStr | None = Field(
        default=None, description="The verify_token given when creating the push subscription."
    )
    webhook_subscription_id: int | None = Field(
        default=None, description="The id Strava returned for the push subscription; events must carry it."
    )

    def oauth_extras(self) -> dict[str, Any]:
        # Strava re-shows the consent screen with "force"; "auto" skips it for returning users.
        return {"extra_authorize_params": {"approval_prompt": "auto"}}
