"""Reading the published snapshot: the only file readers open, always read-only and short-lived.

The file is attached under the fixed catalog name `snap`, so that readers' SQL does not depend on the file's name.
(The file is `serving/snapshot.duckdb`: opened directly, its catalog is `snapshot`, and researchers write
`openfit.activities` and `marts.daily_training_load` as in the spec. It used to be `openfit.duckdb`, whose catalog
name collided with the `openfit` schema and made them write `openfit.openfit.activities`.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
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
        info = dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))
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
