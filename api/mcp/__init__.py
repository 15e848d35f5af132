"""The MCP server (stdio via `openfit mcp`, streamable HTTP at /mcp on the API)."""

from api.mcp.server import build_mcp_server, request_scope, stdio_server

__all__ = ["build_mcp_server", "request_scope", "stdio_server"]
