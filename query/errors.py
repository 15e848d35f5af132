"""Errors the query layer raises; the API maps them to status codes, MCP raises them as tool errors."""

from __future__ import annotations

from typing import Any

# Errors echo what the caller sent (an id, a parameter); a 100 KB id must not come back as a 300 KB answer.
MAX_ECHO_CHARS = 200


def clip(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """`text`, cut to `limit` characters with a note of how long it was."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _clip_value(value: Any) -> Any:
    if isinstance(value, str):
        return clip(value)
    if isinstance(value, list | tuple):
        return [_clip_value(v) for v in value[:50]]
    if isinstance(value, dict):
        return {str(k)[:64]: _clip_value(v) for k, v in list(value.items())[:50]}
    return value


class QueryError(Exception):
    code = "error"
    status = 500

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        message = clip(message, 2 * MAX_ECHO_CHARS)
        super().__init__(message)
        self.message = message
        self.details = _clip_value(details or {})


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
