"""The dlt source of the synthetic provider: one resource per raw table (see /work/briefs/raw_synthetic_layout.md).

All resources read one shared :class:`Cohort`, which generates each chunk (athlete x block of days) once and hands
every resource its part; dlt's round-robin extraction keeps the resources in step, so only a few chunks are held in
memory at a time (a resource running ahead or behind just regenerates a chunk: the data are deterministic).

Incremental loading: one cursor per athlete in the source state (the last complete day loaded) defines the day window
that EVERY resource generates, so streams, laps and activities always stay consistent.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dlt
from dlt.sources import DltResource

from . import defaults as d
from .generate import Chunk, chunk_bounds, generate_chunk, static_tables
from .model import day_start_epoch, make_athlete

STATE_KEY = "windows"
# Per athlete and static table, a digest of the rows last loaded (see _static_rows).
STATIC_DIGESTS_KEY = "static_digests"

JSON_TABLES: dict[str, list[str]] = {
    "athletes": ["athlete_id"],
    "athlete_profiles": ["athlete_id", "effective_from"],
    "devices": ["device_id"],
    "activities": ["activity_id"],
    "laps": ["activity_id", "lap_index"],
    "sleep": ["sleep_id"],
    "daily_summaries": ["device_id", "calendar_date"],
    "weigh_ins": ["device_id", "timestamp_gmt"],
}
# Arrow tables: delete-insert on a merge key (no primary key => no costly de-duplication of millions of rows).
ARROW_TABLES: dict[str, list[str]] = {
    "activity_streams": ["activity_id"],
    "sleep_levels": ["sleep_id"],
    "intraday": ["device_id", "metric", "timestamp"],
}
STATIC_TABLES = ("athletes", "athlete_profiles", "devices")


class SyntheticConfigError(ValueError):
    """Bad parameters for the synthetic cohort."""


@dataclass(frozen=True)
class Window:
    first: date
    last: date
    cutoff: int | None  # epoch s; records ending later are left out (only when the window reaches today)


def resolve_window(days: int, end_date: date | None, now: datetime | None = None) -> Window:
    now = now or datetime.now(UTC)
    last = end_date or now.date()
    first = last - timedelta(days=days - 1)
    # A window that reaches today (or the future) must not contain data from the future.
    cutoff = int(now.timestamp()) if last >= now.date() - timedelta(days=1) else None
    return Window(first, last, cutoff)


def validate(athletes: int, days: int, seed: int, end_date: date | None) -> None:
    if not isinstance(athletes, int) or isinstance(athletes, bool) or not 1 <= athletes <= 999:
        raise SyntheticConfigError(f"athletes must be an integer from 1 to 999, got {athletes!r}")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650 * 3:
        raise SyntheticConfigError(f"days must be an integer from 1 to 10950, got {days!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise SyntheticConfigError(f"seed must be an integer, got {seed!r}")
    if end_date is not None and (not isinstance(end_date, date) or isinstance(end_date, datetime)):
        raise SyntheticConfigError(f"end_date must be a datetime.date or None, got {end_date!r}")


class Cohort:
    """Shared by all resources of one source instance: decides the day window and caches generated chunks."""

    def __init__(
        self,
        seed: int,
        athletes: int,
        days: int,
        end_date: date | None,
        chunk_days: int,
        incremental: bool,
        cache_size: int = 4,
        only_athletes: list[int] | None = None,
    ) -> None:
        self.seed = seed
        self.athletes = athletes
        self.days = days
        self.end_date = end_date
        self._window: Window | None = None
        self.chunk_days = chunk_days
        self.incremental = incremental
        self._chunks: list[tuple[int, date, date]] | None = None
        self._cache: OrderedDict[int, Chunk] = OrderedDict()
        self._cache_size = cache_size
        self.generated = 0  # chunks generated (a measure of wasted work when resources drift apart)
        self.first_load = False
        # athlete indexes to extract (None = all): a new day for one athlete touches nothing of the others
        self.only_athletes = None if only_athletes is None else set(only_athletes)

    @property
    def window(self) -> Window:
        """Resolved at extraction, not when the source object is built: a source created once (e.g. in a
        long-running Dagster code location) with end_date=None still means "today" when it runs."""
        if self._window is None:
            self._window = resolve_window(self.days, self.end_date)
        return self._window

    def _athlete_first_day(self, state: dict[str, Any], k: int) -> date:
        """First day to generate for athlete k: after the last complete day loaded before, if contiguous."""
        athlete_id = make_athlete(self.seed, k).athlete_id
        loaded = state.get(athlete_id)
        if not loaded:
            return self.window.first
        lo, hi = date.fromisoformat(loaded["first"]), date.fromisoformat(loaded["last_complete"])
        if lo <= self.window.first and hi >= self.window.first - timedelta(days=1):
            return max(self.window.first, hi + timedelta(days=1))
        return self.window.first

    def _last_complete_day(self, k: int) -> date:
        if self.window.cutoff is None:
            return self.window.last
        athlete = make_athlete(self.seed, k)
        day = self.window.last
        while (
            day >= self.window.first
            and day_start_epoch(athlete, day + timedelta(days=1)) > self.window.cutoff
        ):
            day -= timedelta(days=1)
        return day

    def chunks(self) -> list[tuple[int, date, date]]:
        """(athlete index, first day, last day) of every chunk to generate, decided once per extraction."""
        if self._chunks is not None:
            return self._chunks
        state: dict[str, Any] = {}
        if self.incremental:
            windows = dlt.current.source_state().setdefault(STATE_KEY, {})
            # Nothing was ever loaded by this pipeline: the Arrow tables can be appended (no staging + merge pass).
            self.first_load = not windows
            state = windows.setdefault(f"seed={self.seed}", {})
        chunks: list[tuple[int, date, date]] = []
        for k in range(self.athletes):
            if self.only_athletes is not None and k not in self.only_athletes:
                continue
            start = self._athlete_first_day(state, k) if self.incremental else self.window.first
            for first, last in chunk_bounds(start, self.window.last, self.chunk_days):
                chunks.append((k, first, last))
            if self.incremental:
                athlete_id = make_athlete(self.seed, k).athlete_id
                previous = state.get(athlete_id)
                keep_first = (
                    date.fromisoformat(previous["first"])
                    if previous and start > self.window.first
                    else self.window.first
                )
                state[athlete_id] = {
                    "first": keep_first.isoformat(),
                    "last_complete": self._last_complete_day(k).isoformat(),
                }
        self._chunks = chunks
        return chunks

    def chunk(self, i: int) -> Chunk:
        if i in self._cache:
            self._cache.move_to_end(i)
            return self._cache[i]
        k, first, last = self.chunks()[i]
        chunk = generate_chunk(self.seed, k, first, last, self.window.cutoff)
        self.generated += 1
        self._cache[i] = chunk
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return chunk

    def iter_table(self, table: str) -> Iterator[Any]:
        for i in range(len(self.chunks())):
            item = self.chunk(i).item(table)
            if item is not None:
                yield item

    def iter_arrow_table(self, table: str) -> Iterator[Any]:
        """Like iter_table; on a pipeline's very first load the rows are appended instead of merged.

        Delete-insert goes through a staging table (every row is written twice); when the source state shows
        that this pipeline never loaded anything, there is nothing to replace, so plain append gives the same
        result at about half the load cost. Later loads (and incremental=False) always merge.
        """
        first = True
        for item in self.iter_table(table):
            if first and self.first_load:
                item = dlt.mark.with_hints(item, dlt.mark.make_hints(write_disposition="append"))
            first = False
            yield item

    def athlete_indexes(self) -> list[int]:
        return [k for k in range(self.athletes) if self.only_athletes is None or k in self.only_athletes]

    def static(self, table: str, k: int) -> list[dict[str, Any]]:
        """Athlete k's rows of a static table (athletes, athlete_profiles, devices) for the current window."""
        return static_tables(self.seed, [k], self.window.first, self.window.last)[table]


@dlt.source(name="synthetic", max_table_nesting=0)
def synthetic_source(
    athletes: int = 3,
    days: int = 365,
    seed: int = 42,
    end_date: date | None = None,
    chunk_days: int = d.CHUNK_DAYS,
    incremental: bool = True,
    only_athletes: list[int] | None = None,
) -> list[DltResource]:
    """The synthetic cohort as a dlt source: ``athletes`` athletes over the ``days`` days ending on ``end_date``.

    Deterministic per (seed, athletes, days, end_date); athlete k's data do not depend on ``athletes``, and a day's
    data do not depend on the window. With ``incremental`` (default), days already loaded are not generated again.
    ``only_athletes`` (indexes) extracts just those athletes; the others' state and rows are left as they are.
    """
    validate(athletes, days, seed, end_date)
    if not isinstance(chunk_days, int) or chunk_days < 1:
        raise SyntheticConfigError(f"chunk_days must be a positive integer, got {chunk_days!r}")
    cohort = Cohort(seed, athletes, days, end_date, chunk_days, incremental, only_athletes=only_athletes)

    resources: list[DltResource] = []
    for table, key in JSON_TABLES.items():
        rows = _static_rows(cohort, table) if table in STATIC_TABLES else cohort.iter_table(table)
        resources.append(
            dlt.resource(
                rows,
                name=table,
                write_disposition="merge",
                primary_key=key,
                columns={"payload": {"data_type": "json"}, "_fetched_at": {"data_type": "timestamp"}},
            )
        )
    for table, key in ARROW_TABLES.items():
        resources.append(
            dlt.resource(
                cohort.iter_arrow_table(table),
                name=table,
                write_disposition={"disposition": "merge", "strategy": "delete-insert"},
                merge_key=key,
            )
        )
    return resources


def _static_rows(cohort: Cohort, table: str) -> Iterator[list[dict[str, Any]]]:
    """The static tables are generated whole on every extraction, but each athlete's rows are loaded only when
    they differ from what was loaded last (a digest per athlete and table in the source state, committed with
    the load): rows loaded again unchanged would still mark their athlete as changed, and the next transform
    would recompute that athlete for nothing (orchestration/incremental.py)."""
    digests = dlt.current.source_state().setdefault(STATIC_DIGESTS_KEY, {}) if cohort.incremental else {}
    rows: list[dict[str, Any]] = []
    for k in cohort.athlete_indexes():
        athlete_rows = cohort.static(table, k)
        key = f"seed={cohort.seed}/{table}/{k}"
        digest = hashlib.sha256(json.dumps(athlete_rows, sort_keys=True, default=str).encode()).hexdigest()
        if digests.get(key) != digest:
            rows.extend(athlete_rows)
            digests[key] = digest
    if rows:
        yield rows
