"""API knobs (OPENFIT_API_* environment variables), read when the app is created."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENFIT_API_", env_file=".env", extra="ignore")

    rate_limit_per_minute: int = Field(default=1200, ge=0, description="Per key; 0 switches the limit off.")
    rate_limit_burst: int = Field(default=200, ge=1)
    response_cache_mb: int = Field(
        default=64, ge=0, description="Answers kept per process for the current snapshot; 0 = no cache."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Browser origins allowed; empty = closed."
    )
