"""Errors of the provider plumbing. Messages name provider and athlete, never a token or secret."""

from __future__ import annotations


class AuthError(RuntimeError):
    """Base class: something about a provider connection is wrong."""


class ProviderNotConfiguredError(AuthError):
    def __init__(self, provider: str, missing: list[str]):
        self.provider = provider
        self.missing = missing
        names = ", ".join(f"OPENFIT_{provider.upper()}_{m.upper()}" for m in missing)
        super().__init__(f"{provider} is not configured: set {names}")


class NotConnectedError(AuthError):
    def __init__(self, provider: str, athlete: str):
        self.provider = provider
        self.athlete = athlete
        super().__init__(
            f"no {provider} connection for athlete {athlete!r}: run `openfit connect {provider}`"
        )


class NeedsReauthError(AuthError):
    """The provider rejected our grant (revoked, expired or already-used refresh token)."""

    def __init__(self, provider: str, athlete: str, reason: str):
        self.provider = provider
        self.athlete = athlete
        self.reason = reason
        super().__init__(
            f"{provider} connection of athlete {athlete!r} needs re-authorisation ({reason}): "
            f"run `openfit connect {provider} --athlete {athlete}`"
        )


class CallbackError(AuthError):
    """The OAuth redirect came back wrong (state mismatch, provider error, timeout)."""


class SecretKeyError(AuthError):
    """The token-store key is missing, malformed or does not decrypt the stored tokens."""
