"""Every OAuth provider's settings come from one base (ingestion.auth.provider_settings.ProviderSettings): the
app credentials, endpoints, scopes and schedule are declared once, and each provider states only its facts."""

from __future__ import annotations

import importlib

import pytest

from ingestion.auth.provider_settings import ProviderSettings
from ingestion.auth.providers import oauth_config_for, oauth_providers


def _settings_class(provider: str) -> type[ProviderSettings]:
    module = importlib.import_module(f"ingestion.sources.{provider}.settings")
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, ProviderSettings) and value is not ProviderSettings
    ]
    assert len(classes) == 1, classes
    return classes[0]


def test_there_are_oauth_providers_to_check():
    assert {"strava", "oura", "whoop", "withings", "wahoo", "polar"} <= set(oauth_providers())


@pytest.mark.parametrize("provider", oauth_providers())
def test_settings_subclass_the_base_and_read_their_own_prefix(provider, monkeypatch):
    cls = _settings_class(provider)
    assert provider == cls.PROVIDER
    assert not cls().is_configured()
    prefix = f"OPENFIT_{provider.upper()}_"
    monkeypatch.setenv(f"{prefix}CLIENT_ID", "app-id")
    monkeypatch.setenv(f"{prefix}CLIENT_SECRET", "s3cret-value")
    settings = cls()
    assert settings.is_configured()
    config = oauth_config_for(provider)
    assert (config.provider, config.client_id, config.client_secret) == (provider, "app-id", "s3cret-value")
    assert config.scopes and all(scope.strip() == scope and scope for scope in config.scopes)
    assert cls.SCOPE_SEPARATOR.join(config.scopes) == settings.scopes.strip()
    assert "s3cret-value" not in repr(config) and "s3cret-value" not in repr(settings)
    monkeypatch.setenv(f"{prefix}CLIENT_SECRET", "")
    assert not cls().is_configured()
