"""Oura settings: `OPENFIT_OURA_*` environment variables (or `.env`). Defaults are the real endpoints."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from ingestion.auth.provider_settings import ProviderSettings

# Read-only scopes for what we load; no `email`, no `tag`.
DEFAULT_SCOPES = "personal daily heartrate workout session spo2"


class OuraSettings(ProviderSettings):
    model_config = SettingsConfigDict(env_prefix="OPENFIT_OURA_")
    PROVIDER = "oura"
    REVOKE_STYLE = "oura_revoke"

    auth_url: str = "https://cloud.ouraring.com/oauth/authorize"
    token_url: str = "https://api.ouraring.com/oauth/token"
    revoke_url: str = "https://api.ouraring.com/oauth/revoke"
    api_base_url: str = "https://api.ouraring.com/v2"
    scopes: str = Field(default=DEFAULT_SCOPES, description="Space-separated Oura scopes.")
    use_pkce: bool = Field(default=False, description="Oura does not document PKCE; enable if it does.")

    backfill_since: date = Field(
        default=date(2015, 1, 1), description="Oldest day asked for on the first sync."
    )
    lookback_days: int = Field(
        default=3, ge=0, description="Days re-read on every sync (scores are revised)."
    )
    window_days: int = Field(
        default=30, ge=1, le=30, description="Days per request window (heart rate max 30)."
    )
    windows_per_run: int = Field(
        default=12, ge=1, description="Windows per resource per dlt load (backfill chunks)."
    )
    # Off-peak, apart from the daily full refresh (OPENFIT_SCHEDULE_CRON, 04:00) and the other providers.
    schedule_cron: str = Field(default="45 2 * * *", description="When Dagster syncs oura (cron syntax).")

    # Webhook subscriptions (`openfit webhooks`): Oura checks the callback with this token; events are signed
    # with the client secret.
    webhook_verification_token: SecretStr | None = Field(
        default=None, description="The verification_token given when creating webhook subscriptions."
    )

    def oauth_extras(self) -> dict[str, Any]:
        return {"user_id_lookup": self.personal_info_id}

    def personal_info_id(self, access_token: str) -> str | None:
        """The `id` of `/usercollection/personal_info`: the user id Oura's webhook events carry."""
        import httpx

        response = httpx.get(
            f"{self.api_base_url}/usercollection/personal_info",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=30.0,
        )
        response.raise_for_status()
        value = response.json().get("id")
        return str(value) if value else None
