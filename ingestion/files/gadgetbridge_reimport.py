"""Re-importing Gadgetbridge databases: keep only the rows the warehouse does not hold yet.

Each 'Export DB' is the whole database again, with new minutes appended and some rows rewritten (a band that
re-syncs a day, a firmware update), so its bytes and hash always change. Content keys tell what is new:
a sample is (device_key, sample_table, timestamp), a workout its ``summary_key`` (device + start), a device
its ``device_key``. A row whose key and content ``raw_files`` already holds is dropped; a row whose key is
known with other content is kept: it is the newer version, and staging keeps the version of the latest
export (``export.latest_sample_at``), so it replaces the old one instead of doubling it.

A database that brings nothing new is logged as ``duplicate``, with how many rows it repeated.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from ingestion.files.model import DecodedFile

DATASET = "raw_files"

# table -> (key columns, content columns compared besides the keys)
KEYED_TABLES = {
    "activity_sample": (
        ("device_key", "sample_table", "timestamp"),
        ("steps", "heart_rate", "raw_kind", "raw_intensity"),
    ),
    "sleep_stage_sample": (("device_key", "sample_table", "timestamp"), ("raw_stage",)),
    "sleep_time_sample": (("device_key", "bed_time"), ("wakeup_time", "total_minutes", "awake_minutes")),
    "activity_summary": (("summary_key",), ("end_time", "activity_kind", "name", "summary_data")),
    "device": (("device_key",), ("name", "alias", "firmware_version")),
}
PER_FILE_TABLES = ("export",)  # about the file, not the account's data: always loaded


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.ConnectionException:  # this process already holds the file read-write
        return duckdb.connect(str(warehouse))


def _raw_columns(connection: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = connection.execute(
        "select table_name, column_name from information_schema.columns where table_schema = ?", [DATASET]
    ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return columns


def _plain(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column


def _new_positions(
    connection: duckdb.DuckDBPyConnection,
    table: pa.Table,
    raw_table: str,
    keys: tuple[str, ...],
    content: tuple[str, ...],
) -> pa.Array:
    """Positions of `table`'s rows whose keys and content the raw table does not hold."""
    compared = (*keys, *content)
    incoming = pa.table(
        {
            "position": pa.array(range(table.num_rows), pa.int64()),
            **{c: _plain(table.column(c)) for c in compared},
        }
    )
    connection.register("incoming_rows", incoming)
    try:
        same = " and ".join(
            [f"known.{k} = incoming_rows.{k}" for k in keys]
            + [f"known.{c} is not distinct from incoming_rows.{c}" for c in content]
        )
        result = connection.execute(
            f"select position from incoming_rows where not exists ("
            f"select 1 from {DATASET}.{raw_table} known where {same}) order by position"
        ).to_arrow_table()
    finally:
        connection.unregister("incoming_rows")
    return result.column("position").combine_chunks()


def keep_new_rows(decoded: DecodedFile, warehouse: Path) -> None:
    """Drop from `decoded` the rows the warehouse already holds; say so in its warnings, and make a database
    that brings nothing new a ``duplicate``. A fresh warehouse keeps everything."""
    if decoded.status == "quarantined" or not warehouse.exists():
        return
    connection = _connect(warehouse)
    repeated: dict[str, int] = {}
    try:
        raw = _raw_columns(connection)
        for name, (keys, content) in KEYED_TABLES.items():
            table = decoded.tables.get(name)
            raw_table = f"gadgetbridge_{name}"
            if table is None or raw_table not in raw:
                continue
            if not all(c in raw[raw_table] and c in table.column_names for c in keys):
                continue
            compared = tuple(c for c in content if c in raw[raw_table] and c in table.column_names)
            keep = _new_positions(connection, table, raw_table, keys, compared)
            if len(keep) < table.num_rows:
                repeated[name] = table.num_rows - len(keep)
                decoded.tables[name] = table.take(keep)
    finally:
        connection.close()
    for name in [n for n, t in decoded.tables.items() if t.num_rows == 0]:
        del decoded.tables[name]
    if not repeated:
        return
    summary = ", ".join(f"{count} {name.replace('_', ' ')} rows" for name, count in repeated.items())
    decoded.warnings.append(f"already imported from an earlier export, not loaded again: {summary}")
    if all(name in PER_FILE_TABLES for name in decoded.tables) and decoded.status == "imported":
        decoded.status = "duplicate"
        decoded.reason = f"every row is already imported from an earlier export ({summary})"
        decoded.tables = {}
