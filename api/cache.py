"""A per-process cache of /v1 JSON responses, valid for one published snapshot.

Why it is safe: the snapshot is immutable between publishes, so a read's answer depends only on the
snapshot file, who asks (the key's athlete scope), the URL and, for windows that default to "today",
the UTC date. Those make the cache key, so a swap (new file identity) or a new day simply misses, a key
never sees an answer computed for another scope, and a revoked key is refused before the cache is asked
(every request is authenticated and rate-limited here, hit or miss).

Only complete 200 responses with a JSON body up to `max_entry_bytes` are kept (not the export ZIP or
original files, which stream); least recently used entries go first once `max_bytes` is reached.
Each response says `x-openfit-cache: hit|miss`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import VERIFIED_KEY, RateLimiter, authenticate
from api.errors import ApiError, send_error
from openfit.settings import Settings
from query.snapshot import SnapshotIdentity

CacheKey = tuple


class ResponseCache:
    """LRU of (status headers, body) by CacheKey with a byte budget; thread-safe."""

    def __init__(self, max_bytes: int, max_entry_bytes: int = 4 << 20) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_entry_bytes, max_bytes)
        self._entries: OrderedDict[CacheKey, tuple[list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self._bytes = 0
        self._identity: SnapshotIdentity | None = None
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: CacheKey, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        if len(body) > self.max_entry_bytes:
            return
        identity = key[0]
        with self._lock:
            if identity != self._identity:
                # A new snapshot: every older answer is dead weight now.
                self._entries.clear()
                self._bytes = 0
                self._identity = identity
            if key in self._entries:
                return
            self._entries[key] = (headers, body)
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= len(dropped)

    def __len__(self) -> int:
        return len(self._entries)


# Headers a replayed answer must not repeat: SecurityHeaders and the server add their own.
_REPLAYED = (b"content-type", b"content-length")


class CachedReads:
    """ASGI middleware: authenticates every GET /v1 request and answers repeated ones from the cache."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Callable[[], Settings],
        limiter: RateLimiter | None,
        cache: ResponseCache,
        uncached_prefixes: tuple[str, ...] = ("/v1/export",),
    ) -> None:
        self.app = app
        self.settings = settings
        self.limiter = limiter
        self.cache = cache
        self.uncached_prefixes = uncached_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not path.startswith("/v1/")
            or path.startswith(self.uncached_prefixes)
            or path.endswith("/original")
        ):
            await self.app(scope, receive, send)
            return
        settings = self.settings()
        authorization = ""
        for name, value in scope.get("headers") or ():
            if name == b"authorization":
                authorization = value.decode("latin-1")
                break
        try:
            record = authenticate(authorization, settings, self.limiter)
        except ApiError as exc:
            await send_error(send, exc)
            return
        scope[VERIFIED_KEY] = record
        try:
            identity = SnapshotIdentity.of(settings.snapshot_path)
        except OSError:
            await self.app(scope, receive, send)  # nothing published: the route says so
            return
        key = (
            identity,
            record.scope.athlete_ids,
            path,
            scope.get("query_string", b""),
            datetime.now(UTC).date(),
        )
        found = self.cache.get(key)
        if found is not None:
            headers, body = found
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [*headers, (b"x-openfit-cache", b"hit")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        status = 0
        kept: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        cacheable = True

        async def capture(message: Message) -> None:
            nonlocal status, kept, cacheable
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                kept = [(k, v) for k, v in headers if k.lower() in _REPLAYED]
                is_json = any(
                    k.lower() == b"content-type" and v.startswith(b"application/json") for k, v in headers
                )
                cacheable = status == 200 and is_json
                message = {**message, "headers": [*headers, (b"x-openfit-cache", b"miss")]}
            elif message["type"] == "http.response.body" and cacheable:
                chunks.append(message.get("body", b""))
                if sum(map(len, chunks)) > self.cache.max_entry_bytes:
                    cacheable = False
                    chunks.clear()
                elif not message.get("more_body", False):
                    # Keep it only if the snapshot did not change while the answer was computed.
                    try:
                        unchanged = SnapshotIdentity.of(settings.snapshot_path) == identity
                    except OSError:
                        unchanged = False
                    if unchanged:
                        self.cache.put(key, kept, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)
