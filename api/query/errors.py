"""Errors the query layer raises; the API maps them to status codes, MCP raises them as tool errors."""

from __future__ import annotations

from typing import Any


class QueryError(Exception):
    code = "error"
    status = 500

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(QueryError):
    """The thing does not exist, or the caller may not see it (the same answer, so nothing leaks)."""

    code = "not_found"
    status = 404


class InvalidRequest(QueryError):
    code = "invalid_request"
    status = 400


class NotBuiltYet(QueryError):
    """The snapshot is missing, or a table the request needs has not been built into it yet."""

    code = "not_built_yet"
    status = 503
