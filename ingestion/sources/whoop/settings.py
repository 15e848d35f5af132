"""WHOOP settings: `OPENFIT_WHOOP_*` environment variables (or `.env`). Defaults are the real endpoints."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from ingestion.auth.provider_settings import ProviderSettings

# Read scopes for what we load, plus `offline`: without it WHOOP issues no refresh token and the connection
# dies with its one-hour access token.
DEFAULT_SCOPES = (
    "read:recovery read:cycles read:workout read:sleep read:profile read:body_measurement offline"
)


class WhoopSettings(ProviderSettings):
    model_config = SettingsConfigDict(env_prefix="OPENFIT_WHOOP_")
    PROVIDER = "whoop"
    REVOKE_STYLE = "bearer_delete"

    auth_url: str = "https://api.prod.whoop.com/oauth/oauth2/auth"
    token_url: str = "https://api.prod.whoop.com/oauth/oauth2/token"
    revoke_url: str = "https://api.prod.whoop.com/developer/v2/user/access"
    api_base_url: str = "https://api.prod.whoop.com/developer"
    scopes: str = Field(default=DEFAULT_SCOPES, description="Space-separated WHOOP scopes.")
    use_pkce: bool = Field(default=False, description="WHOOP does not document PKCE; enable if it does.")

    # Documented limits: 100 requests per minute and 10,000 per day. Benchmarks scale the windows down.
    rate_limit_short: int = Field(default=100, ge=1)
    rate_limit_long: int = Field(default=10_000, ge=1)
    rate_window_short_s: float = 60.0
    rate_window_long_s: float = 86400.0

    backfill_since: date = Field(
        default=date(2016, 1, 1), description="Oldest day asked for on the first sync."
    )
    lookback_days: int = Field(
        default=3, ge=0, description="Days re-read on every sync (pending scores are scored later)."
    )
    window_days: int = Field(default=30, ge=1, description="Days per `start`/`end` request window.")
    windows_per_run: int = Field(
        default=12, ge=1, description="Windows per collection per dlt load (backfill chunks)."
    )
    page_limit: int = Field(default=25, ge=1, le=25, description="Records per page (`limit`, WHOOP max 25).")
    # Off-peak, apart from the daily full refresh (OPENFIT_SCHEDULE_CRON, 04:00) and the other providers.
    schedule_cron: str = Field(default="30 3 * * *", description="When Dagster syncs whoop (cron syntax).")

    def oauth_extras(self) -> dict[str, Any]:
        # WHOOP's refresh request carries `scope=offline` (a new refresh token comes back each time).
        return {"refresh_scope": "offline", "user_id_lookup": self.profile_user_id}

    def profile_user_id(self, access_token: str) -> str | None:
        """The `user_id` of `/v2/user/profile/basic`: the user id WHOOP's webhook events carry."""
        import httpx

        response = httpx.get(
            f"{self.api_base_url}/v2/user/profile/basic",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=30,
        )
        response.raise_for_status()
        user_id = response.json().get("user_id")
        return str(user_id) if user_id is not None else None
