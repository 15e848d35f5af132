"""Find a provider's OAuth configuration without naming providers in core code.

An API provider's package (the module its `openfit.providers` entry point lives in) exposes
``oauth_config() -> OAuthConfig``; a plugin provider does the same and needs no change here.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from ingestion.auth.oauth import OAuthConfig
from ingestion.registry import ENTRY_POINT_GROUP, RegistryError


def oauth_providers() -> list[str]:
    names = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        module = importlib.import_module(ep.module)
        if callable(getattr(module, "oauth_config", None)):
            names.append(ep.name)
    return sorted(names)


def oauth_config_for(provider: str) -> OAuthConfig:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == provider:
            module = importlib.import_module(ep.module)
            factory = getattr(module, "oauth_config", None)
            if not callable(factory):
                raise RegistryError(f"provider {provider!r} does not connect through OAuth")
            return factory()
    raise RegistryError(
        f"unknown provider {provider!r}; OAuth providers: {', '.join(oauth_providers()) or 'none'}"
    )
