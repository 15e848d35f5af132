"""Dependencies: settings, the snapshot reader, API-key auth with per-key rate limiting."""

from __future__ import annotations

import math
import threading
import time
from typing import Annotated

from fastapi import Depends, Request

from api.errors import ApiError
from api.keys import KeyStore, StoredKey
from openfit.settings import Settings, get_settings
from query.scope import AthleteScope
from query.snapshot import SnapshotReader, reader_for

_stores: dict[str, KeyStore] = {}
_stores_lock = threading.Lock()


def app_settings(request: Request) -> Settings:
    """The settings the app was created with, else the process settings (read at request time)."""
    return getattr(request.app.state, "settings", None) or get_settings()


def key_store(settings: Settings) -> KeyStore:
    path = str(settings.home_dir / "api_keys.json")
    with _stores_lock:
        store = _stores.get(path)
        if store is None:
            store = _stores[path] = KeyStore.for_home(settings.home_dir)
        return store


class RateLimiter:
    """A token bucket per key: `per_minute` sustained, bursts up to `burst`."""

    def __init__(self, per_minute: int, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst if burst is not None else max(1, per_minute // 6))
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 if allowed, else seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate


# The ASGI scope entry under which a middleware that already authenticated the request leaves the key, so
# the route dependency neither verifies it again nor charges the rate limit twice.
VERIFIED_KEY = "openfit.verified_key"


def authenticate(authorization: str, settings: Settings, limiter: RateLimiter | None) -> StoredKey:
    """The active key presented as `Authorization: Bearer <key>`, charged to its rate limit.

    Raises ApiError 401 (no key echoed) or 429. The REST routes, the response cache and /mcp all call this."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401,
            "unauthorized",
            "send an API key as 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    record = key_store(settings).verify(token.strip())
    if record is None:
        raise ApiError(
            401,
            "unauthorized",
            "the API key is not valid or has been revoked",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if limiter is not None:
        wait = limiter.take(record.key_id)
        if wait > 0:
            raise ApiError(
                429,
                "rate_limited",
                "too many requests for this key; slow down",
                {"retry_after_s": math.ceil(wait)},
                headers={"Retry-After": str(math.ceil(wait))},
            )
    return record


def bearer_key(request: Request, settings: Settings) -> StoredKey:
    verified = request.scope.get(VERIFIED_KEY)
    if verified is not None:
        return verified
    return authenticate(
        request.headers.get("authorization", ""), settings, getattr(request.app.state, "rate_limiter", None)
    )


def require_key(request: Request, settings: Annotated[Settings, Depends(app_settings)]) -> StoredKey:
    return bearer_key(request, settings)


def require_scope(key: Annotated[StoredKey, Depends(require_key)]) -> AthleteScope:
    # FastAPI resolves require_key once per request: a route taking both the key and the scope is charged once.
    return key.scope


def snapshot_reader(settings: Annotated[Settings, Depends(app_settings)]) -> SnapshotReader:
    return reader_for(settings.snapshot_path)


Scope = Annotated[AthleteScope, Depends(require_scope)]
CallerKey = Annotated[StoredKey, Depends(require_key)]
Reader = Annotated[SnapshotReader, Depends(snapshot_reader)]
AppSettings = Annotated[Settings, Depends(app_settings)]
