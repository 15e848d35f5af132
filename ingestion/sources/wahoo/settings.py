"""Wahoo settings: `OPENFIT_WAHOO_*` environment variables (or `.env`). Defaults are the real endpoints."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from ingestion.auth.provider_settings import ProviderSettings

# `user_read` is required for every call (Wahoo answers 403 without it); `workouts_read` for the workouts;
# `offline_data` for the workout_summary webhook.
DEFAULT_SCOPES = "user_read workouts_read offline_data"


class WahooSettings(ProviderSettings):
    model_config = SettingsConfigDict(env_prefix="OPENFIT_WAHOO_")
    PROVIDER = "wahoo"
    REVOKE_STYLE = "bearer_delete"

    auth_url: str = "https://api.wahooligan.com/oauth/authorize"
    token_url: str = "https://api.wahooligan.com/oauth/token"
    revoke_url: str = "https://api.wahooligan.com/v1/permissions"
    api_base_url: str = "https://api.wahooligan.com"
    scopes: str = Field(default=DEFAULT_SCOPES, description="Space-separated Wahoo scopes.")
    use_pkce: bool = Field(
        default=False, description="Wahoo takes PKCE for apps registered as not confidential."
    )

    # Production app limits (per app, all users together): 200 requests per 5 minutes, 1,000 per hour and
    # 5,000 per day (sandbox apps: 25 / 100 / 250). Benchmarks and tests scale the windows down.
    rate_limit_short: int = Field(default=200, ge=1)
    rate_limit_hour: int = Field(default=1_000, ge=1)
    rate_limit_long: int = Field(default=5_000, ge=1)
    rate_window_short_s: float = 300.0
    rate_window_hour_s: float = 3600.0
    rate_window_long_s: float = 86400.0

    backfill_since: date = Field(
        default=date(2010, 1, 1), description="Oldest workout start read on the first sync."
    )
    # A summary can reach Wahoo long after its ride (a bike computer that syncs late), and the list cannot be
    # filtered by update time: re-reading 30 days costs one or two pages per sync for most athletes.
    lookback_days: int = Field(
        default=30, ge=0, description="Days re-read on every sync (a summary arrives or is edited later)."
    )
    per_page: int = Field(default=30, ge=1, le=100, description="Workouts per page (`per_page`, default 30).")
    pages_per_run: int = Field(
        default=20,
        ge=1,
        description="Pages per dlt load (backfill chunks); the walk resumes at the next page.",
    )
    download_fit_files: bool = Field(
        default=False,
        description="Put each summary's FIT file (file.url) into the inbox for the files import; only for the "
        "athlete imported files belong to (OPENFIT_FILES_ATHLETE_ID).",
    )
    # Shared secret Wahoo sends in every webhook body (`webhook_token`, set in the developer portal).
    webhook_token: SecretStr | None = None
    # Off-peak, apart from the daily full refresh (OPENFIT_SCHEDULE_CRON, 04:00) and the other providers.
    schedule_cron: str = Field(default="45 3 * * *", description="When Dagster syncs wahoo (cron syntax).")

    def oauth_extras(self) -> dict[str, Any]:
        return {"user_id_lookup": self.user_id}

    def user_id(self, access_token: str) -> str | None:
        """The `id` of `GET /v1/user`: the user id Wahoo's webhook messages carry (`user.id`)."""
        import httpx

        response = httpx.get(
            f"{self.api_base_url}/v1/user",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=30,
        )
        response.raise_for_status()
        user_id = response.json().get("id")
        return str(user_id) if user_id is not None else None
