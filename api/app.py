"""The OpenFit REST API (read-only, /v1) with the MCP server at /mcp.

Run it with `openfit serve`, or `uvicorn --factory api.app:create_app --host 127.0.0.1 --port 8000`,
or `api.app.serve()`. It binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import anyio.to_thread
import duckdb
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.cache import CachedReads, ResponseCache
from api.deps import RateLimiter
from api.errors import install_error_handlers
from api.limits import ReadLimits
from api.mcp.http import BearerScopeASGI, session_manager
from api.mcp.server import build_mcp_server
from api.routers import activities, analytics, athletes, export, health, metrics, sleep
from openfit import __version__
from openfit.settings import Settings, get_settings

_FROM_ENV = -1  # sentinel: take the value from the settings (OPENFIT_API_*)
_DOCS_PATHS = ("/docs", "/redoc", "/openapi.json")


class SecurityHeaders:
    """Pure ASGI middleware (BaseHTTPMiddleware costs about a millisecond per request): security headers on
    every response, no-store on data."""

    _COMMON = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-resource-policy", b"same-origin"),
    ]
    # The docs page loads Swagger UI's script; everything else is data and needs nothing.
    _CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
    _NO_STORE = (b"cache-control", b"no-store")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        extra = list(self._COMMON)
        if not path.startswith(_DOCS_PATHS):
            extra.append(self._CSP)
        if path.startswith("/v1") or path == "/mcp":
            extra.append(self._NO_STORE)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def warm_up() -> None:
    """DuckDB imports pandas (about 2.5 s) the first time it binds or returns a timezone-aware value;
    pay that at startup rather than in the first request."""
    conn = duckdb.connect(":memory:")
    try:
        conn.execute("SELECT ?::TIMESTAMPTZ AS t", [datetime.now(UTC)]).fetchall()
    finally:
        conn.close()


def create_app(
    settings: Settings | None = None,
    *,
    rate_limit_per_minute: int | None = _FROM_ENV,
    rate_limit_burst: int = _FROM_ENV,
    cors_origins: Sequence[str] | None = None,
    mount_mcp: bool = True,
    response_cache_mb: int = _FROM_ENV,
) -> FastAPI:
    """Builds the app. `settings=None` reads the process settings at request time. Unless given here, the
    rate limit, CORS origins and response cache come from OPENFIT_API_* (defaults: 1200/min per key, burst 200;
    CORS closed; 64 MB of cached answers). `rate_limit_per_minute=None` or 0 switches per-key rate limiting off,
    `response_cache_mb=0` the cache (api/cache.py)."""
    knobs = settings or get_settings()
    if rate_limit_per_minute == _FROM_ENV:
        rate_limit_per_minute = knobs.api_rate_limit_per_minute
    if rate_limit_burst == _FROM_ENV:
        rate_limit_burst = knobs.api_rate_limit_burst
    if cors_origins is None:
        cors_origins = knobs.api_cors_origins
    if response_cache_mb == _FROM_ENV:
        response_cache_mb = knobs.api_response_cache_mb

    def current_settings() -> Settings:
        return settings or get_settings()

    limiter = RateLimiter(rate_limit_per_minute, rate_limit_burst) if rate_limit_per_minute else None
    # Concurrency limits per key (api/limits.py), sized when the app is made.
    limits = ReadLimits.from_settings(current_settings())
    mcp_manager = session_manager(build_mcp_server(current_settings)) if mount_mcp else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(warm_up)
        if mcp_manager is None:
            yield
            return
        async with mcp_manager.run():
            yield

    app = FastAPI(
        title="OpenFit API",
        version=__version__,
        description="Read-only access to the published OpenFit snapshot. Every /v1 call needs "
        "`Authorization: Bearer <key>` (create one with `openfit apikey create`).",
        lifespan=lifespan,
        # FastAPI's built-in OpenTelemetry hooks: off, like every tool's telemetry here.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.settings = settings
    app.state.rate_limiter = limiter
    app.state.read_limits = limits
    install_error_handlers(app)

    for module in (athletes, activities, sleep, metrics, analytics, export):
        app.include_router(module.router, prefix="/v1")
    app.include_router(health.router)
    if mcp_manager is not None:
        app.router.routes.append(
            Route("/mcp", BearerScopeASGI(mcp_manager, current_settings, limiter, limits))
        )

    # Added first = innermost: CORS and security headers also wrap the answers the cache replays.
    if response_cache_mb:
        app.state.response_cache = ResponseCache(response_cache_mb << 20)
        app.add_middleware(
            CachedReads, settings=current_settings, limiter=limiter, cache=app.state.response_cache
        )
    if cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=["GET"],
            allow_headers=["Authorization"],
        )
    app.add_middleware(SecurityHeaders)
    return app


def serve(host: str = "127.0.0.1", port: int = 8000, *, log_level: str = "info") -> None:
    """Runs the API (and /mcp) with uvicorn; what `openfit serve` calls."""
    import uvicorn

    # A keep-alive longer than the default 5 s avoids a client reusing a connection the server is closing.
    uvicorn.run(
        create_app(), host=host, port=port, log_level=log_level, proxy_headers=False, timeout_keep_alive=30
    )
