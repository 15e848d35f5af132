"""Strava settings: `OPENFIT_STRAVA_*` environment variables (or `.env`). Defaults are the real endpoints."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from ingestion.auth.oauth import OAuthConfig


# Read-only, least privilege for what we load: private activities (activity:read_all) and the zones
# endpoint (profile:read_all). No write scope.
DEFAULT_SCOPES = "read,activity:read_all,profile:read_all"
ALL_STREAM_KEYS = (
    "time,distance,latlng,altitude,velocity_smooth,heartrate,cadence,watts,temp,moving,grade_smooth"
)


class StravaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENFIT_STRAVA_", env_file=".env", extra="ignore")

    client_id: str | None = None
    client_secret: SecretStr | None = None
    auth_url: str = "https://www.strava.com/oauth/authorize"
    token_url: str = "https://www.strava.com/oauth/token"
    deauthorize_url: str = "https://www.strava.com/oauth/deauthorize"
    api_base_url: str = "https://www.strava.com/api/v3"
    scopes: str = Field(default=DEFAULT_SCOPES, description="Comma-separated Strava scopes.")
    use_pkce: bool = Field(default=False, description="Strava does not document PKCE; enable if it does.")

    # Rate-limit windows (seconds): Strava's are 15 minutes and one UTC day. Benchmarks scale them down.
    rate_window_short_s: float = 900.0
    rate_window_long_s: float = 86400.0
    # Give up waiting (end the run, keep progress) when the next slot is further away than this.
    max_rate_wait_s: float = 1200.0

    backfill_since: date | None = Field(
        default=None, description="Oldest activity date to load; default all."
    )
    lookback_days: float = Field(default=7.0, ge=0, description="Re-read window for edited activities.")
    per_page: int = Field(default=200, ge=1, le=200)
    workers: int = Field(default=4, ge=1, le=32, description="Parallel detail/laps/streams requests.")
    stream_keys: str = ALL_STREAM_KEYS
    chunk_activities: int = Field(default=200, ge=1, description="Activities per dlt load during a backfill.")
    refresh_margin_s: float = 300.0
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

    def is_configured(self) -> bool:
        return bool(self.client_id and self.client_secret and self.client_secret.get_secret_value())

    def oauth_config(self) -> OAuthConfig:
        from ingestion.auth.oauth import OAuthConfig

        return OAuthConfig(
            provider="strava",
            client_id=self.client_id,
            client_secret=self.client_secret.get_secret_value() if self.client_secret else None,
            authorize_url=self.auth_url,
            token_url=self.token_url,
            scopes=tuple(s.strip() for s in self.scopes.split(",") if s.strip()),
            scope_separator=",",
            use_pkce=self.use_pkce,
            revoke_url=self.deauthorize_url,
            revoke_style="strava_deauthorize",
            # Strava re-shows the consent screen with "force"; "auto" skips it for returning users.
            extra_authorize_params={"approval_prompt": "auto"},
            refresh_margin_s=self.refresh_margin_s,
        )
