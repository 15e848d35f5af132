"""What every OAuth2 provider's settings share, declared once.

A provider's settings class (`ingestion/sources/<provider>/settings.py`) subclasses `ProviderSettings`, sets
its `OPENFIT_<PROVIDER>_` env prefix, the defaults of its real endpoints and scopes, its facts as class
attributes (`PROVIDER`, `SCOPE_SEPARATOR`, `REVOKE_STYLE`) and, in `oauth_extras()`, what its OAuth flow needs
beyond the common fields (an account-id lookup, token-endpoint quirks). Its own pagination and pacing fields
stay in its class: they differ by provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from ingestion.auth.oauth import OAuthConfig, RevokeStyle


class ProviderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")  # a subclass adds its env_prefix

    PROVIDER: ClassVar[str]
    SCOPE_SEPARATOR: ClassVar[str] = " "  # how the `scopes` setting and the authorize URL separate scopes
    REVOKE_STYLE: ClassVar[RevokeStyle] = "none"

    client_id: str | None = None
    client_secret: SecretStr | None = None
    auth_url: str
    token_url: str
    revoke_url: str | None = None
    api_base_url: str
    scopes: str
    use_pkce: bool = False
    refresh_margin_s: float = 300.0  # refresh an access token this long before it expires
    # Give up waiting (end the run, keep progress) when the next request slot is further away than this.
    max_rate_wait_s: float = 1200.0
    schedule_cron: str  # when Dagster syncs the provider (cron syntax); providers are spread over the night

    def is_configured(self) -> bool:
        return bool(self.client_id and self.client_secret and self.client_secret.get_secret_value())

    def scope_list(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in self.scopes.split(self.SCOPE_SEPARATOR) if s.strip())

    def oauth_extras(self) -> dict[str, Any]:
        """OAuthConfig fields beyond the common ones (see ingestion.auth.oauth.OAuthConfig)."""
        return {}

    def oauth_config(self) -> OAuthConfig:
        from ingestion.auth.oauth import OAuthConfig

        fields: dict[str, Any] = {
            "provider": self.PROVIDER,
            "client_id": self.client_id,
            "client_secret": self.client_secret.get_secret_value() if self.client_secret else None,
            "authorize_url": self.auth_url,
            "token_url": self.token_url,
            "scopes": self.scope_list(),
            "scope_separator": self.SCOPE_SEPARATOR,
            "use_pkce": self.use_pkce,
            "revoke_url": self.revoke_url,
            "revoke_style": self.REVOKE_STYLE,
            "refresh_margin_s": self.refresh_margin_s,
        }
        return OAuthConfig(**{**fields, **self.oauth_extras()})
