"""Google Health API settings: `OPENFIT_GOOGLE_HEALTH_*` environment variables (or `.env`). Defaults are the
real Google endpoints (discovery document health:v4, revision 20261030)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from ingestion.auth.provider_settings import ProviderSettings

# The read-only scopes of the discovery document's auth section that cover what we load: exercise and steps
# (activity_and_fitness), heart rate, HRV, SpO2, weight and body fat (health_metrics_and_measurements), sleep,
# and paired devices (settings). All are restricted scopes: a production client needs Google's verification.
DEFAULT_SCOPES = " ".join(
    f"https://www.googleapis.com/auth/googlehealth.{name}.readonly"
    for name in ("activity_and_fitness", "health_metrics_and_measurements", "sleep", "settings")
)


class GoogleHealthSettings(ProviderSettings):
    model_config = SettingsConfigDict(env_prefix="OPENFIT_GOOGLE_HEALTH_")
    PROVIDER = "google_health"
    # RFC 7009: POST token=<refresh token> ends the whole grant
    REVOKE_STYLE = "token_form_post"

    auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    token_url: str = "https://oauth2.googleapis.com/token"
    revoke_url: str = "https://oauth2.googleapis.com/revoke"
    api_base_url: str = "https://health.googleapis.com"
    scopes: str = Field(default=DEFAULT_SCOPES, description="Space-separated Google Health scopes.")
    use_pkce: bool = Field(default=True, description="Google's authorization code flow with PKCE (S256).")

    # Google documents no per-user quota for this API in its discovery document: pace conservatively
    # (60 requests per minute, 5,000 per day per connected user); a 429 waits for Retry-After.
    rate_limit_short: int = Field(default=60, ge=1)
    rate_limit_long: int = Field(default=5_000, ge=1)
    rate_window_short_s: float = 60.0
    rate_window_long_s: float = 86400.0

    backfill_since: date = Field(
        default=date(2015, 1, 1), description="Oldest day asked for on the first sync (Fitbit history)."
    )
    lookback_days: int = Field(
        default=3, ge=0, description="Days re-read on every sync (sleep and daily values are finalised late)."
    )
    window_days: int = Field(default=30, ge=1, description="Days per `filter` time window.")
    windows_per_run: int = Field(
        default=12, ge=1, description="Windows per data type per dlt load (backfill chunks)."
    )
    # `pageSize`: exercise and sleep allow at most 25; other data types up to 10,000.
    session_page_size: int = Field(default=25, ge=1, le=25)
    sample_page_size: int = Field(default=10_000, ge=1, le=10_000)
    schedule_cron: str = Field(
        default="50 3 * * *", description="When Dagster syncs google_health (cron syntax)."
    )

    def oauth_extras(self) -> dict[str, Any]:
        return {
            # offline: Google issues a refresh token; consent: it issues one again on a re-connect (Google
            # sends a refresh token only when the user sees the consent screen).
            "extra_authorize_params": {"access_type": "offline", "prompt": "consent"},
            "user_id_lookup": self.health_user_id,
        }

    def health_user_id(self, access_token: str) -> str | None:
        """`healthUserId` of `v4/users/me/identity`: the id the API's resource names and notifications carry."""
        import httpx

        response = httpx.get(
            f"{self.api_base_url}/v4/users/me/identity",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=30,
        )
        response.raise_for_status()
        user_id = response.json().get("healthUserId")
        return str(user_id) if user_id else None
