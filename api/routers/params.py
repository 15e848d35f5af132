"""Typed query parameters shared by the routers: dates and time bounds validated in full (query/dates.py).

A value that does not parse, has anything after the date, or lies outside the supported range is a 422 with
the error envelope, before the route runs; the route receives a `date` or an aware UTC `datetime`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from query.dates import MAX_DATE, MIN_DATE, iso_date, iso_time_bound


def _date(value: Any) -> Any:
    return iso_date(value) if isinstance(value, str) else value


def _lower_bound(value: Any) -> Any:
    return iso_time_bound(value) if isinstance(value, str) else value


def _upper_bound(value: Any) -> Any:
    return iso_time_bound(value, end=True) if isinstance(value, str) else value


_RANGE = {"minimum_date": MIN_DATE.isoformat(), "maximum_date": MAX_DATE.isoformat()}
_DATE_SCHEMA = {"type": "string", "format": "date", "x-openfit-range": _RANGE}
_DATE_OR_TIME_SCHEMA = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
    "x-openfit-range": _RANGE,
}

IsoDate = Annotated[date, BeforeValidator(_date), WithJsonSchema(_DATE_SCHEMA)]
# A bare date as a lower bound is that day's 00:00 UTC; as an upper bound the next day's (the day is included).
LowerTimeBound = Annotated[datetime, BeforeValidator(_lower_bound), WithJsonSchema(_DATE_OR_TIME_SCHEMA)]
UpperTimeBound = Annotated[datetime, BeforeValidator(_upper_bound), WithJsonSchema(_DATE_OR_TIME_SCHEMA)]
