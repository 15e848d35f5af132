"""/mcp on the API: the MCP server over streamable HTTP, behind the same bearer keys as /v1."""

from __future__ import annotations

import json
from collections.abc import Callable

from mcp.server.mcpserver import MCPServer
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import Message, Receive, Scope, Send

from api.deps import RateLimiter, authenticate
from api.errors import ApiError, send_error
from api.limits import HEAVY_TOOLS, ConcurrencyLimit, ReadLimits
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


# An MCP request body is one JSON-RPC message (query_sql's SQL is at most 20,000 characters); more is refused.
MAX_BODY_BYTES = 1 << 20


def _calls_heavy_tool(body: bytes) -> bool:
    """Whether a JSON-RPC body (one message or a batch) calls a tool in HEAVY_TOOLS."""
    try:
        message = json.loads(body)
    except ValueError:
        return False  # the MCP layer answers the parse error
    messages = message if isinstance(message, list) else [message]
    return any(
        isinstance(m, dict)
        and m.get("method") == "tools/call"
        and isinstance(m.get("params"), dict)
        and m["params"].get("name") in HEAVY_TOOLS
        for m in messages
    )


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None once it passes MAX_BODY_BYTES."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class BearerScopeASGI:
    """Checks `Authorization: Bearer <key>`, applies the key's rate limit and concurrency limits, and sets its
    athlete scope. A GET opens a stream that lasts as long as the client wants: it holds one of the key's
    stream slots while open. A POST calling a heavy tool holds one of the key's heavy-call slots while it runs."""

    def __init__(
        self,
        manager: StreamableHTTPSessionManager,
        settings: Callable[[], Settings],
        limiter: RateLimiter | None,
        limits: ReadLimits | None = None,
    ) -> None:
        self.inner = StreamableHTTPASGIApp(manager)
        self.settings = settings
        self.limiter = limiter
        self.limits = limits

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
        limit: ConcurrencyLimit | None = None
        if self.limits is not None and scope.get("method") == "GET":
            limit = self.limits.mcp_streams
        elif self.limits is not None and scope.get("method") == "POST":
            body = await _read_body(receive)
            if body is None:
                await send_error(
                    send,
                    ApiError(
                        413, "too_large", f"an MCP request body may hold at most {MAX_BODY_BYTES} bytes"
                    ),
                )
                return
            receive = _replay(body, receive)
            if _calls_heavy_tool(body):
                limit = self.limits.heavy_calls
        if limit is not None:
            try:
                limit.acquire(record.key_id)
            except ApiError as exc:
                await send_error(send, exc)
                return
        token_ctx = request_scope.set(record.scope)
        try:
            await self.inner(scope, receive, send)
        finally:
            request_scope.reset(token_ctx)
            if limit is not None:
                limit.release(record.key_id)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the already-read body to the MCP app, then passes on what follows (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
