"""The provider registry: every source of data declares itself here, at runtime, through entry points.

A provider is registered by an entry point in the group ``openfit.providers`` that points to a
:class:`Provider` object. OpenFit's own providers are declared in ``pyproject.toml``; a plugin package adds a
provider by declaring its own entry point, without touching core code.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ingestion.webhooks.schemes import Notification, Verified, WebhookRequest

ENTRY_POINT_GROUP = "openfit.providers"


class Capability(enum.Flag):
    """What kind of data a provider can deliver."""

    NONE = 0
    ACTIVITIES = enum.auto()
    SLEEP = enum.auto()
    RECOVERY = enum.auto()
    HEALTH_METRICS = enum.auto()

    def names(self) -> list[str]:
        return [member.name.lower() for member in Capability if member and member in self]


ProviderKind = Literal["synthetic", "api", "file"]


@dataclass(frozen=True)
class ApiSync:
    """How the orchestrator runs an API provider, one connected athlete at a time.

    ``sync(pipeline, athlete, max_runs=..., on_chunk=...)`` loads one athlete's new data (each chunk one dlt
    load, resumable) and returns a summary; ``on_chunk(summary_so_far)`` is called after every chunk.
    ``raw_tables`` are the tables it writes in ``raw_<provider>`` (the Dagster asset keys dbt's sources use);
    ``schedule_cron()`` is the provider's own refresh schedule (its ``OPENFIT_<PROVIDER>_SCHEDULE_CRON``).
    """

    raw_tables: tuple[str, ...]
    sync: Callable[..., dict[str, Any]]
    schedule_cron: Callable[[], str]


@dataclass(frozen=True)
class Webhook:
    """How a provider pushes change notifications to ``/webhooks/<name>`` (the receiver, ingestion/webhooks).

    ``verify(request) -> Verified`` checks a POST's signature (or the shared values an unsigned scheme
    carries) and raises ``WebhookRejected`` otherwise; ``parse(request) -> [Notification]`` reads the verified
    body; ``handshake(query) -> dict`` answers the provider's GET subscription check (JSON), raising
    ``WebhookRejected`` for a wrong token; ``collections(data_types)`` names the source's resources a sync
    needs for these data types (``None``: the whole athlete; an empty tuple: nothing this provider loads);
    ``setup`` tells the operator how to register the callback.
    The building blocks (HMAC of timestamp + body, token handshakes) are in ``ingestion.webhooks.schemes``.
    """

    verify: Callable[[WebhookRequest], Verified]
    parse: Callable[[WebhookRequest], list[Notification]]
    handshake: Callable[[Any], dict[str, Any]] | None = None
    collections: Callable[[frozenset[str]], tuple[str, ...] | None] = field(default=lambda data_types: None)
    setup: str = ""  # how to register the callback URL and which settings it needs (`openfit webhooks`)


@dataclass(frozen=True)
class Provider:
    """A source of fitness data.

    ``dlt_source`` builds the dlt source for one extraction (keyword arguments come from settings);
    ``is_configured`` says whether it can run now (credentials present); a provider that is not configured is
    listed as available, never an error. An OAuth API provider sets ``api_sync`` instead of being run as one
    dlt source (it syncs every connected athlete); one that pushes change notifications sets ``webhook``.
    """

    name: str
    display_name: str
    capabilities: Capability
    kind: ProviderKind
    description: str = ""
    dlt_source: Callable[..., Any] | None = None
    is_configured: Callable[[], bool] = field(default=lambda: True)
    api_sync: ApiSync | None = None
    webhook: Webhook | None = None

    @property
    def raw_dataset(self) -> str:
        """The raw schema this provider loads into: ``raw_<name>``."""
        return f"raw_{self.name}"


class RegistryError(RuntimeError):
    pass


def discover() -> dict[str, Provider]:
    """Load every registered provider, keyed and sorted by name."""
    providers: dict[str, Provider] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        provider = ep.load()
        if not isinstance(provider, Provider):
            raise RegistryError(f"entry point {ep.name!r} ({ep.value}) is not an ingestion.registry.Provider")
        if provider.name != ep.name:
            raise RegistryError(f"entry point {ep.name!r} names provider {provider.name!r}; they must match")
        providers[provider.name] = provider
    return dict(sorted(providers.items()))


def get_provider(name: str) -> Provider:
    providers = discover()
    try:
        return providers[name]
    except KeyError:
        raise RegistryError(f"unknown provider {name!r}; known: {', '.join(providers) or 'none'}") from None
