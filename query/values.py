"""Conversion of DuckDB values to JSON-safe values (ISO 8601 UTC for times)."""

from __future__ import annotations

import base64
import math
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any


def iso_utc(value: datetime) -> str:
    """ISO 8601 with a Z suffix; naive datetimes are taken as UTC (the snapshot stores UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso_utc_sql(expr: str) -> str:
    """The SQL twin of `iso_utc` for a TIMESTAMP(TZ) column: the same text, computed by DuckDB (for columns of
    thousands of values, where per-value Python conversion costs more than the query). Needs the reader's
    TimeZone = UTC (query.snapshot.attach_snapshot sets it)."""
    return (
        f"CASE WHEN epoch_us({expr}) % 1000000 = 0 THEN strftime({expr}, '%Y-%m-%dT%H:%M:%SZ') "
        f"ELSE strftime({expr}, '%Y-%m-%dT%H:%M:%S.%fZ') END"
    )


def json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return str(value)
