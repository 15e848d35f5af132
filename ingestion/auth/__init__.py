"""Shared provider plumbing: OAuth2 (authlib), the encrypted token store, rate limiting and the HTTP client.

Every API provider (Strava, Oura, and the ones that follow) builds on these pieces; none of them knows a
provider by name.
"""

from ingestion.auth.errors import AuthError, NeedsReauthError, NotConnectedError, ProviderNotConfiguredError
from ingestion.auth.tokens import ConnectionStatus, TokenStore, connection_statuses

__all__ = [
    "AuthError",
    "ConnectionStatus",
    "NeedsReauthError",
    "NotConnectedError",
    "ProviderNotConfiguredError",
    "TokenStore",
    "connection_statuses",
]
