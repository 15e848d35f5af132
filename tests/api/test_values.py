"""iso_utc (Python) and iso_utc_sql (its DuckDB twin, used for stream times) give the same text."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from query.values import iso_utc, iso_utc_sql


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 1, 6, 5, 4, tzinfo=UTC),
        datetime(2026, 3, 1, 6, 5, 4, 120000, tzinfo=UTC),
        datetime(2026, 3, 1, 6, 5, 4, 7, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
    ],
)
@pytest.mark.parametrize("sql_type", ["TIMESTAMPTZ", "TIMESTAMP"])
def test_the_sql_twin_formats_times_like_iso_utc(value, sql_type):
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    bound = value if sql_type == "TIMESTAMPTZ" else value.replace(tzinfo=None)
    text = con.execute(f"SELECT {iso_utc_sql('t')} FROM (SELECT ?::{sql_type} AS t)", [bound]).fetchone()[0]
    assert text == iso_utc(value)
