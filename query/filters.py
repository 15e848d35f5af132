"""The checks and WHERE-clause pieces every read in this package shares: a table that must be published,
the athlete scope (and one athlete within it), a date or time range, a page size. One home, so the API, MCP
and the dashboards refuse the same request with the same error."""

from __future__ import annotations

from typing import Any

from query.errors import InvalidRequest, NotBuiltYet, NotFound
from query.scope import AthleteScope
from query.snapshot import Cursor

MAX_PAGE = 500


def require_table(cur: Cursor, schema: str, table: str) -> list[str]:
    """The table's columns; NotBuiltYet when the published snapshot does not have it yet."""
    if not cur.has_table(schema, table):
        raise NotBuiltYet(
            f"{schema}.{table} is not in the published snapshot yet",
            {"table": f"{schema}.{table}"},
        )
    return cur.columns(schema, table)


def scope_clause(scope: AthleteScope, column: str = "athlete_id") -> tuple[str, list[Any]]:
    """SQL (and its parameters) that keeps the rows of the scope's athletes."""
    if scope.athlete_ids is None:
        return "TRUE", []
    return f"list_contains(?, CAST({column} AS VARCHAR))", [list(scope.athlete_ids)]


def athlete_clause(
    scope: AthleteScope, athlete_id: str | None, column: str = "athlete_id"
) -> tuple[str, list[Any]]:
    """Scope plus an optional single-athlete filter; an athlete outside the scope is NotFound."""
    if athlete_id is not None and not scope.allows(athlete_id):
        raise NotFound(f"athlete {athlete_id!r} not found")
    sql, params = scope_clause(scope, column)
    if athlete_id is not None:
        sql += f" AND CAST({column} AS VARCHAR) = ?"
        params.append(str(athlete_id))
    return sql, params


def check_range(start: Any, end: Any) -> None:
    """InvalidRequest when both bounds are given and the first is after the second."""
    if start is not None and end is not None and start > end:
        raise InvalidRequest("`from` must not be after `to`", {"from": str(start), "to": str(end)})


def check_limit(limit: int, cap: int = MAX_PAGE) -> None:
    if not 1 <= limit <= cap:
        raise InvalidRequest(f"limit must be between 1 and {cap}", {"limit": limit})
