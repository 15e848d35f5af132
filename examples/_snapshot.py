"""What every example notebook shares: reading the published snapshot and writing a result for a test to check.

The notebooks read only the published, read-only snapshot ($OPENFIT_HOME/serving/snapshot.duckdb, the path
`openfit.settings` gives), through the read layer's `query.snapshot.snapshot_connection` (attached read-only).
They never open the build's warehouse.duckdb.

Run headless (`python examples/<name>.py`), a notebook writes `<name>.csv` (its result table) and `<name>.html`
(its figure) into $OPENFIT_EXAMPLES_OUT, or into a new temporary folder when that is not set.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

from openfit.settings import get_settings
from query.snapshot import SnapshotMissing, snapshot_connection

OUT_ENV = "OPENFIT_EXAMPLES_OUT"


def snapshot_path() -> Path:
    """The snapshot the notebooks read (raises SnapshotMissing, with what to do, when none is published)."""
    path = get_settings().snapshot_path
    if not path.exists():
        raise SnapshotMissing(f"no snapshot at {path}: set OPENFIT_HOME or run `openfit build` first")
    return path


def read(sql: str, params: list[Any] | None = None) -> pl.DataFrame:
    """One query on the published snapshot, read-only, as a polars frame (the connection is closed after)."""
    snapshot_path()
    with snapshot_connection() as con:
        return con.execute(sql, params or []).pl()


def output_dir() -> Path:
    """Where headless runs write: $OPENFIT_EXAMPLES_OUT (created if needed) or a new temporary folder."""
    configured = os.environ.get(OUT_ENV)
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return Path(tempfile.mkdtemp(prefix="openfit-examples-"))


def write_result(name: str, table: pl.DataFrame, chart: Any, note: str = "") -> dict[str, Path]:
    """Write the result table (CSV) and the figure (altair chart, standalone HTML) of notebook `name`."""
    out = output_dir()
    paths = {"table": out / f"{name}.csv", "figure": out / f"{name}.html"}
    table.write_csv(paths["table"])
    chart.save(str(paths["figure"]), format="html")
    print(f"{name}: {table.height} rows -> {paths['table']}, figure -> {paths['figure']}")
    if note:
        print(note)
    return paths
