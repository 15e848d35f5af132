"""Date and time parameters: parsed in full, within a range every later step can compute with.

One set of rules for REST (the pydantic types in api/routers/params.py) and MCP (reads.parse_date and
reads.parse_time_bound). A value is a whole ISO 8601 date (`2026-01-31`) or datetime (`2026-01-31T06:00:00Z`,
`2026-01-31T06:00:00+02:00`); nothing may follow it. Dates lie in [MIN_DATE, MAX_DATE]: far enough from the ends
of Python's calendar that a day added to an upper bound, a window of days subtracted for a default start or a
time-zone shift never overflows (which used to answer 500).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2999, 12, 31)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# Digits, separators, a fraction and an offset or Z: what fromisoformat reads, and nothing else after it.
_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?", re.ASCII
)
RANGE_TEXT = f"between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}"


def iso_date(text: str) -> date:
    """A whole ISO 8601 date (YYYY-MM-DD) in range; ValueError saying why otherwise."""
    text = text.strip()
    if not _ISO_DATE.fullmatch(text):
        raise ValueError("must be an ISO 8601 date (YYYY-MM-DD) with nothing after it")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError("must be a real calendar date (YYYY-MM-DD)") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise ValueError(f"must be {RANGE_TEXT}")
    return day


def iso_time_bound(text: str, *, end: bool = False) -> datetime:
    """An ISO 8601 date or datetime -> aware UTC datetime; a bare date as an upper bound includes that day.
    A datetime without an offset is UTC. ValueError saying why otherwise."""
    text = text.strip()
    if _ISO_DATE.fullmatch(text):
        day = iso_date(text)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return start + timedelta(days=1) if end else start
    if not _ISO_DATETIME.fullmatch(text):
        raise ValueError(
            "must be an ISO 8601 date or datetime (e.g. 2026-01-31 or 2026-01-31T06:00:00Z) "
            "with nothing after it"
        )
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be a real calendar date and time (e.g. 2026-01-31T06:00:00Z)") from None
    # Checked before the shift to UTC: the range keeps the shift (at most a day) inside the calendar.
    if not MIN_DATE <= parsed.date() <= MAX_DATE:
        raise ValueError(f"must be {RANGE_TEXT}")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
