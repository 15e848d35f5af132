"""Read-only access to the published snapshot ($OPENFIT_HOME/serving/snapshot.duckdb): the only file readers
open, always read-only and short-lived.

The file is attached under the fixed catalog name `snap`, so that readers' SQL does not depend on the file's name.
(The file is `serving/snapshot.duckdb`: opened directly, its catalog is `snapshot`, and researchers write
`openfit.activities` and `marts.daily_training_load` as in the spec. It used to be `openfit.duckdb`, whose catalog
name collided with the `openfit` schema and made them write `openfit.openfit.activities`.)

Opening a DuckDB database costs about 10 ms here (even `:memory:`), a cursor on an open one about 0.5 ms.
So each process keeps one open *generation* per snapshot file identity (device, inode, mtime, size) and
hands out a short-lived cursor per call. When the publisher swaps the file (os.replace), the next call
sees a new identity and opens a new generation; the old one is closed once its last cursor is returned.

Why `:memory:` + ATTACH instead of `duckdb.connect(path)`: DuckDB caches database instances by path inside
a process, so connecting to the same path while an old connection is still open would hand back the
*old* (replaced) file. A fresh in-memory instance that attaches the path always opens the current file.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from openfit.settings import Settings, get_settings

SNAPSHOT_CATALOG = "snap"
# Every row of serving/raw_payloads.duckdb names the OpenFit athlete it belongs to (set by the publisher), so
# an account export can be scoped to a key.
RAW_ATHLETE_COLUMN = "_openfit_athlete_id"


class SnapshotMissing(FileNotFoundError):
    pass


def attach_snapshot(path: Path, config: dict[str, Any] | None = None) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB instance with the snapshot attached read-only as `snap` (and in use), in UTC.

    A fresh instance per call also matters because DuckDB caches databases by path within a process: a
    direct `connect(path)` while an older connection is open would hand back the replaced file.
    """
    con = duckdb.connect(":memory:", config=config or {})
    try:
        literal = "'" + str(path).replace("'", "''") + "'"
        con.execute(f"attach {literal} as {SNAPSHOT_CATALOG} (read_only)")
        con.execute(f"use {SNAPSHOT_CATALOG}")
        # Times are UTC in the snapshot; casting a TIMESTAMPTZ to DATE must not depend on the machine's zone.
        con.execute("set global TimeZone = 'UTC'")
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def snapshot_connection(settings: Settings | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the current snapshot, closed on exit (so the next call sees a new swap)."""
    settings = settings or get_settings()
    path = settings.snapshot_path
    if not path.exists():
        raise SnapshotMissing(f"no snapshot at {path}: run `openfit build` first")
    con = attach_snapshot(path)
    try:
        yield con
    finally:
        con.close()


def snapshot_summary(settings: Settings | None = None) -> dict[str, Any]:
    """Path, age, build info, rows per table and freshness per source, for `openfit status` and /health."""
    settings = settings or get_settings()
    with snapshot_connection(settings) as con:
        cursor = con.execute("select * from meta.build_info")
        row = cursor.fetchone()
        if row is None:
            raise RuntimeError(f"the snapshot at {settings.snapshot_path} has no meta.build_info row")
        info = dict(zip([column[0] for column in cursor.description], row, strict=True))
        run_id, built_at, version, status = (
            info["run_id"],
            info["built_at"],
            info["openfit_version"],
            info["status"],
        )
        rows = dict(con.execute("select table_name, row_count from meta.table_rows order by 1").fetchall())
        freshness = [
            {"source": s, "table": t, "rows": n, "newest_record": newest}
            for s, t, n, newest in con.execute(
                "select source, table_name, row_count, newest_record from meta.source_freshness order by 1, 2"
            ).fetchall()
        ]
        try:  # athletes whose rows failed a blocking test: their rows stay as last published
            withheld = [
                {"athlete_id": a, "test": t, "failing_rows": n}
                for a, t, n in con.execute(
                    "select athlete_id, test, failing_rows from meta.withheld order by all"
                ).fetchall()
            ]
        except duckdb.CatalogException:  # published before withholding existed
            withheld = []
    return {
        "path": str(settings.snapshot_path),
        "run_id": run_id,
        "built_at": built_at,
        "age_s": (datetime.now(UTC) - built_at).total_seconds(),
        "openfit_version": version,
        "status": status,
        # The data-shaping settings behind the rows (snapshots published before they were recorded have none).
        "settings_hash": info.get("settings_hash"),
        "settings": json.loads(info["settings"]) if info.get("settings") else None,
        "row_counts": rows,
        "freshness": freshness,
        "withheld": withheld,
    }


# Unqualified names resolve to the published schemas, so `FROM activities` works like `FROM openfit.activities`.
PUBLISHED_SCHEMAS = ("openfit", "marts", "meta")


def search_path_for(conn: duckdb.DuckDBPyConnection, catalog: str) -> str:
    """The published schemas that exist in `catalog` (DuckDB refuses a search_path naming a missing one)."""
    present = {
        r[0]
        for r in conn.execute(
            "SELECT schema_name FROM duckdb_schemas() WHERE database_name = ?", [catalog]
        ).fetchall()
    }
    return ",".join(s for s in PUBLISHED_SCHEMAS if s in present) or "main"


class SnapshotUnavailable(RuntimeError):
    """The snapshot file does not exist (nothing published yet) or cannot be opened."""


@dataclass(frozen=True)
class SnapshotIdentity:
    device: int
    inode: int
    mtime_ns: int
    size: int

    @classmethod
    def of(cls, path: Path) -> SnapshotIdentity:
        st = os.stat(path)
        return cls(st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def open_snapshot_instance(path: Path, *, threads: int, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB instance with the snapshot attached read-only as `snap`.

    External access is switched off and the configuration locked afterwards, so nothing that runs on this
    instance can read files or URLs, load extensions or lift the limits.
    """
    try:
        conn = attach_snapshot(path, {"threads": threads, "memory_limit": memory_limit})
    except duckdb.Error as exc:
        raise SnapshotUnavailable(f"cannot open the snapshot: {exc}") from exc
    try:
        conn.execute(f"SET search_path = {_sql_string(search_path_for(conn, SNAPSHOT_CATALOG))}")
        conn.execute("SET enable_external_access = false")
        conn.execute("SET lock_configuration = true")
    except duckdb.Error as exc:
        conn.close()
        raise SnapshotUnavailable(f"cannot open the snapshot: {exc}") from exc
    return conn


@dataclass
class _Generation:
    identity: SnapshotIdentity
    conn: duckdb.DuckDBPyConnection
    users: int = 0
    retired: bool = False
    tables: set[tuple[str, str]] = field(default_factory=set)
    columns: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    search_path: str = "main"
    # Configured cursors waiting for reuse: creating one and running USE/SET costs more than most queries.
    idle: list[duckdb.DuckDBPyConnection] = field(default_factory=list)


class SnapshotReader:
    """Hands out read-only cursors on the current snapshot; thread-safe."""

    def __init__(self, path: Path, *, threads: int = 1, memory_limit: str = "1GB") -> None:
        self.path = Path(path)
        self.threads = threads
        self.memory_limit = memory_limit
        self._lock = threading.Lock()
        self._current: _Generation | None = None

    def _identity(self) -> SnapshotIdentity:
        try:
            return SnapshotIdentity.of(self.path)
        except FileNotFoundError as exc:
            raise SnapshotUnavailable(f"no snapshot published yet at {self.path.name}") from exc

    def _acquire(self) -> _Generation:
        identity = self._identity()
        with self._lock:
            current = self._current
            if current is None or current.identity != identity:
                conn = open_snapshot_instance(self.path, threads=self.threads, memory_limit=self.memory_limit)
                tables = {
                    (schema, name)
                    for schema, name in conn.execute(
                        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
                        "UNION SELECT schema_name, view_name FROM duckdb_views() "
                        "WHERE database_name = ? AND NOT internal",
                        [SNAPSHOT_CATALOG, SNAPSHOT_CATALOG],
                    ).fetchall()
                }
                columns: dict[tuple[str, str], list[str]] = {}
                for schema, table, column in conn.execute(
                    "SELECT schema_name, table_name, column_name FROM duckdb_columns() WHERE database_name = ? "
                    "ORDER BY schema_name, table_name, column_index",
                    [SNAPSHOT_CATALOG],
                ).fetchall():
                    columns.setdefault((schema, table), []).append(column)
                fresh = _Generation(
                    identity=identity,
                    conn=conn,
                    tables=tables,
                    columns=columns,
                    search_path=search_path_for(conn, SNAPSHOT_CATALOG),
                )
                if current is not None:
                    current.retired = True
                    if current.users == 0:
                        current.conn.close()
                self._current = current = fresh
            current.users += 1
            return current

    def _release(self, generation: _Generation) -> None:
        with self._lock:
            generation.users -= 1
            if generation.retired and generation.users == 0:
                generation.conn.close()

    def _checkout(self, generation: _Generation) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if generation.idle:
                return generation.idle.pop()
        cur = generation.conn.cursor()
        cur.execute(f"USE {SNAPSHOT_CATALOG}")
        cur.execute(f"SET search_path = {_sql_string(generation.search_path)}")
        return cur

    def _checkin(self, generation: _Generation, cur: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            if not generation.retired:
                generation.idle.append(cur)
                return
        cur.close()

    @contextmanager
    def cursor(self) -> Iterator[Cursor]:
        """A cursor on the newest snapshot for the duration of one call (then pooled for the next call on the
        same snapshot; a swap retires the pool with its generation)."""
        generation = self._acquire()
        try:
            cur = self._checkout(generation)
            try:
                yield Cursor(cur, generation.tables, generation.columns)
            except Exception:
                # Errors (NotFound, a failed query) leave an autocommit read-only cursor usable.
                self._checkin(generation, cur)
                raise
            except BaseException:
                cur.close()  # cancelled mid-stream (GeneratorExit, KeyboardInterrupt): do not reuse
                raise
            self._checkin(generation, cur)
        finally:
            self._release(generation)

    def close(self) -> None:
        with self._lock:
            if self._current is not None:
                self._current.retired = True
                if self._current.users == 0:
                    self._current.conn.close()
                self._current = None


class Cursor:
    """A DuckDB cursor plus the snapshot's table list (to tell "not built yet" from an empty result)."""

    def __init__(
        self,
        conn: duckdb.DuckDBPyConnection,
        tables: set[tuple[str, str]],
        columns: dict[tuple[str, str], list[str]],
    ) -> None:
        self.conn = conn
        self.tables = tables
        self._columns = columns

    def has_table(self, schema: str, name: str) -> bool:
        return (schema, name) in self.tables

    def columns(self, schema: str, name: str) -> list[str]:
        """Column names of a table in the snapshot, in order (empty if the table is absent)."""
        return self._columns.get((schema, name), [])

    def rows(self, sql: str, params: list | dict | None = None) -> list[dict]:
        """Runs a parameterised query and returns its rows as dicts."""
        result = self.conn.execute(sql, params or [])
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def tuples(self, sql: str, params: list | dict | None = None) -> list[tuple]:
        """Runs a parameterised query and returns its rows as tuples (no per-row dict)."""
        return self.conn.execute(sql, params or []).fetchall()

    def one(self, sql: str, params: list | dict | None = None) -> dict | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def arrow(self, sql: str, params: list | dict | None = None):
        return self.conn.execute(sql, params or []).to_arrow_table()


_readers: dict[Path, SnapshotReader] = {}
_readers_lock = threading.Lock()


def reader_for(path: Path) -> SnapshotReader:
    """The process-wide reader for one snapshot path (looked up as given first: resolve() walks the disk)."""
    with _readers_lock:
        reader = _readers.get(path)
        if reader is None:
            key = Path(path).expanduser().resolve()
            reader = _readers.get(key) or SnapshotReader(key)
            _readers[key] = _readers[path] = reader
        return reader
