"""Withings settings: `OPENFIT_WITHINGS_*` environment variables (or `.env`). Defaults are the real endpoints."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from ingestion.auth.provider_settings import ProviderSettings

# Read-only scopes for what we load (comma-separated, as Withings takes them).
DEFAULT_SCOPES = "user.info,user.metrics,user.activity"


class WithingsSettings(ProviderSettings):
    model_config = SettingsConfigDict(env_prefix="OPENFIT_WITHINGS_")
    PROVIDER = "withings"
    SCOPE_SEPARATOR = ","

    auth_url: str = "https://account.withings.com/oauth2_user/authorize2"
    token_url: str = "https://wbsapi.withings.net/v2/oauth2"
    api_base_url: str = "https://wbsapi.withings.net"
    scopes: str = Field(default=DEFAULT_SCOPES, description="Comma-separated Withings scopes.")

    # Withings allows 120 requests per minute per application; the client paces itself to it.
    rate_limit: int = Field(default=120, ge=1, description="Requests per rate window.")
    rate_window_s: float = Field(default=60.0, gt=0, description="Length of the rate window (s).")
    max_rate_wait_s: float = 600.0

    backfill_since: date = Field(
        default=date(2009, 1, 1), description="Oldest day asked for on the first sync."
    )
    lookback_s: int = Field(
        default=3 * 86400, ge=0, description="Seconds re-read before the `lastupdate` cursor on every sync."
    )
    window_days: int = Field(default=90, ge=1, le=200, description="Days per backfill request window.")
    windows_per_run: int = Field(default=8, ge=1, description="Windows per resource per dlt load (chunks).")
    # Off-peak, apart from the daily full refresh (OPENFIT_SCHEDULE_CRON, 04:00) and the other providers.
    schedule_cron: str = Field(default="55 2 * * *", description="When Dagster syncs withings (cron syntax).")
    # Notifications (`openfit webhooks`): Withings signs nothing; the callback URL carries this secret (?token=).
    webhook_token: SecretStr | None = Field(
        default=None, description="The token in the callback URL given when subscribing to notifications."
    )

    def oauth_extras(self) -> dict[str, Any]:
        # Withings' token endpoint is an API action: every token request carries action=requesttoken,
        # and the answer is wrapped as {"status": 0, "body": {...}} (HTTP 200 also for errors).
        return {"token_params": {"action": "requesttoken"}, "token_response_hook": unwrap_token_response}


def unwrap_token_response(body: Any) -> dict[str, Any]:
    """Withings' token answer -> an RFC 6749 token dict; a non-zero status becomes an OAuth error dict."""
    if not isinstance(body, dict):
        return {"error": "invalid_response"}
    status = body.get("status")
    if status != 0:
        # 503 "invalid params" is what Withings answers to a used or unknown refresh token or code
        error = "invalid_grant" if status in (503, 100, 101, 102, 200, 401) else "server_error"
        return {"error": error, "error_description": f"withings status {status}"}
    token = dict(body.get("body") or {})
    if token.get("userid") is not None:
        token["provider_user_id"] = str(token["userid"])
    return token
