"""/mcp on the API: the MCP server over streamable HTTP, behind the same bearer keys as /v1."""

from __future__ import annotations

from collections.abc import Callable

from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import Receive, Scope, Send

from api.deps import RateLimiter, authenticate
from api.errors import ApiError, send_error
from api.mcp.server import request_scope
from openfit.settings import Settings

LOCAL_HOSTS = TransportSecuritySettings(
    enable_dns_rebinding_protection=True,
    allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost"],
    allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
)


def session_manager(server: MCPServer) -> StreamableHTTPSessionManager:
    # Stateless: every POST runs in its own task inheriting the request's context, so the key's scope
    # (a context variable) cannot leak from one caller's session into another's.
    server.streamable_http_app(stateless_http=True, json_response=True, transport_security=LOCAL_HOSTS)
    return server.session_manager


class BearerScopeASGI:
    """Checks `Authorization: Bearer <key>`, applies the key's rate limit, and sets its athlete scope."""

    def __init__(self, manager: StreamableHTTPSessionManager, settings: Callable[[], Settings],
                 limiter: RateLimiter | None) -> None:
        self.inner = StreamableHTTPASGIApp(manager)
        self.settings = settings
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
        try:
            record = authenticate(header, self.settings(), self.limiter)
        except ApiError as exc:
            await send_error(send, exc)
            return
        token_ctx = request_scope.set(record.scope)
        try:
            await self.inner(scope, receive, send)
        finally:
            request_scope.reset(token_ctx)
