"""Polar AccessLink settings: `OPENFIT_POLAR_*` environment variables (or `.env`). Defaults are the real
endpoints (OpenAPI document `info.version` v3, servers https://www.polaraccesslink.com/)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from ingestion.auth.errors import AuthError
from ingestion.auth.provider_settings import ProviderSettings

# The one scope AccessLink declares: read access to all of the user's data.
DEFAULT_SCOPES = "accesslink.read_all"
REGISTER_PATH = "/v3/users"


def unwrap_token_response(body: Any) -> dict[str, Any]:
    """Polar's token answer carries the Polar user id as `x_user_id` (the id webhooks and /v3/users name)."""
    if not isinstance(body, dict):
        return {"error": "invalid_response"}
    token = dict(body)
    if token.get("x_user_id") is not None:
        token["provider_user_id"] = str(token["x_user_id"])
    return token


class PolarSettings(ProviderSettings):
    model_config = SettingsConfigDict(env_prefix="OPENFIT_POLAR_")
    PROVIDER = "polar"
    # Polar has no token revocation endpoint; DELETE /v3/users/{user-id} de-registers the user (and revokes the
    # token), which needs the user id in the URL: not done by `openfit disconnect` (README).
    REVOKE_STYLE = "none"

    auth_url: str = "https://flow.polar.com/oauth2/authorization"
    token_url: str = "https://polarremote.com/v2/oauth2/token"
    api_base_url: str = "https://www.polaraccesslink.com"
    scopes: str = Field(default=DEFAULT_SCOPES, description="Space-separated AccessLink scopes.")
    use_pkce: bool = Field(default=False, description="AccessLink documents no PKCE.")

    # AccessLink's limits are per client (app) and grow with its registered users: 500 + 20 x users requests
    # per 15 minutes and 5,000 + 100 x users per 24 hours. Polar reports both windows in its RateLimit-Limit /
    # RateLimit-Usage headers, which the limiter adopts; these figures pace the first requests.
    rate_limit_short_base: int = Field(default=500, ge=1)
    rate_limit_short_per_user: int = Field(default=20, ge=0)
    rate_limit_long_base: int = Field(default=5_000, ge=1)
    rate_limit_long_per_user: int = Field(default=100, ge=0)
    registered_users: int | None = Field(
        default=None, ge=0, description="Users registered with the app (None: the athletes connected here)."
    )
    rate_window_short_s: float = 900.0
    rate_window_long_s: float = 86400.0

    # Daily activity and continuous heart rate are read by date range (activities: `from` at most 365 days
    # back, ranges of at most 28 days); nothing older than the user's registration with the app exists.
    backfill_days: int = Field(default=365, ge=1, le=365, description="Oldest day read on the first sync.")
    lookback_days: int = Field(
        default=3, ge=0, description="Days re-read on every sync (a device syncs a day's data later)."
    )
    window_days: int = Field(default=28, ge=1, le=28, description="Days per `from`/`to` request (max 28).")
    windows_per_run: int = Field(default=4, ge=1, description="Windows per collection per dlt load.")
    exercise_samples: bool = Field(
        default=True, description="Ask for the exercises' samples (`samples=true`): heart rate, speed, power."
    )
    exercise_zones: bool = Field(default=True, description="Ask for heart-rate zones (`zones=true`).")
    exercise_route: bool = Field(default=True, description="Ask for the GPS route (`route=true`).")
    download_fit_files: bool = Field(
        default=False,
        description="Put each exercise's FIT file (/v3/exercises/{id}/fit) into the inbox for the files "
        "import; only for the athlete imported files belong to (OPENFIT_FILES_ATHLETE_ID).",
    )
    # The signature_secret_key Polar returns once, when the webhook is created (POST /v3/webhooks).
    webhook_secret: SecretStr | None = None
    # Off-peak, apart from the daily full refresh (OPENFIT_SCHEDULE_CRON, 04:00) and the other providers.
    schedule_cron: str = Field(default="55 3 * * *", description="When Dagster syncs polar (cron syntax).")

    def rate_limits(self, users: int) -> tuple[int, int]:
        """(15-minute, 24-hour) request limits for an app with `users` registered users."""
        users = self.registered_users if self.registered_users is not None else users
        return (
            self.rate_limit_short_base + self.rate_limit_short_per_user * users,
            self.rate_limit_long_base + self.rate_limit_long_per_user * users,
        )

    def oauth_extras(self) -> dict[str, Any]:
        return {
            "token_endpoint_auth_method": "client_secret_basic",
            "token_response_hook": unwrap_token_response,
            "after_consent": self.register_user,
        }

    def register_user(self, token: dict[str, Any], athlete: str) -> None:
        """Register the consenting user with the app (`POST /v3/users`): AccessLink serves no data before.
        409 means the user is registered already (a reconnect): that is success too."""
        import httpx

        user_id = token.get("provider_user_id")
        member_id = f"openfit-{athlete}-{user_id}" if user_id else f"openfit-{athlete}"
        try:
            response = httpx.post(
                f"{self.api_base_url}{REGISTER_PATH}",
                json={"member-id": member_id},
                headers={"Authorization": f"Bearer {token['access_token']}", "Accept": "application/json"},
                timeout=30,
            )
        except httpx.HTTPError as exc:
            raise AuthError(f"polar: registering the user failed ({type(exc).__name__})") from None
        if response.status_code in (200, 409):
            return
        if response.status_code == 403:
            raise AuthError(
                "polar: the user has not accepted all mandatory consents in Polar Flow (HTTP 403)"
            )
        raise AuthError(f"polar: registering the user answered HTTP {response.status_code}")
