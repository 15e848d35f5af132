"""Small synthetic cohorts shared by this folder's tests (generated once per session; no warehouse needed)."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pytest

from ingestion.sources.synthetic.generate import generate_chunk, static_tables

END = date(2025, 3, 30)  # a fixed Sunday in the past: reproducible, no "now" cut-off
DAYS = 28
ATHLETES = 3
SEED = 42


class Generated:
    """Every table of a small cohort, as lists of rows (JSON tables) and Arrow tables (series)."""

    def __init__(self, seed: int, athletes: int, days: int, end: date) -> None:
        first = end - timedelta(days=days - 1)
        self.seed, self.athletes, self.days, self.first, self.end = seed, athletes, days, first, end
        self.rows: dict[str, list[dict]] = static_tables(seed, list(range(athletes)), first, end)
        arrow: dict[str, list[pa.Table]] = {}
        for k in range(athletes):
            chunk = generate_chunk(seed, k, first, end)
            for table, rows in chunk.rows.items():
                self.rows.setdefault(table, []).extend(rows)
            for table, tbl in chunk.arrow.items():
                arrow.setdefault(table, []).append(tbl)
        self.arrow = {t: pa.concat_tables(parts) for t, parts in arrow.items()}

    def payloads(self, table: str) -> list[dict]:
        return [row["payload"] for row in self.rows[table]]


@pytest.fixture(scope="session")
def cohort() -> Generated:
    return Generated(SEED, ATHLETES, DAYS, END)
