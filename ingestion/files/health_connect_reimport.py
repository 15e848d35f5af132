"""Re-importing Health Connect exports: keep only what the warehouse does not hold yet.

Every export is the whole store again, and its bytes differ every time (new records, a new row order after
the store compacts), so the file hash cannot tell what is new. The records can: Health Connect gives each one
a ``uuid`` and a ``last_modified_time`` that an edit advances. A record is dropped when ``raw_files`` holds its
uuid with the same ``last_modified_time``; an edited record (same uuid, newer time) is kept and staging keeps
the newest version of each uuid, so it replaces the old value instead of doubling it. A record's samples,
stages, route points and laps follow their record; devices are dropped when their key is known.

An export that brings nothing new is logged as ``duplicate``, with how many rows it repeated.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.files.model import DecodedFile

DATASET = "raw_files"
PREFIX = "health_connect_"
CHILD_TABLES = ("heart_rate_sample", "sleep_stage", "exercise_route", "exercise_lap", "exercise_segment")
PER_FILE_TABLES = ("export",)


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.ConnectionException:  # this process already holds the file read-write
        return duckdb.connect(str(warehouse))


def _raw_columns(connection: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = connection.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [DATASET, PREFIX + table],
    ).fetchall()
    return {row[0] for row in rows}


def _new_positions(
    connection: duckdb.DuckDBPyConnection, table: pa.Table, raw_table: str, keys: tuple[str, ...]
) -> pa.Array:
    """Positions of `table`'s rows whose key columns the raw table does not hold together."""
    incoming = pa.table(
        {"position": pa.array(range(table.num_rows), pa.int64()), **{k: table.column(k) for k in keys}}
    )
    connection.register("incoming_rows", incoming)
    try:
        same = " and ".join(f"known.{k} = incoming_rows.{k}" for k in keys)
        result = connection.execute(
            f"select position from incoming_rows where not exists (select 1 from ("
            f"select distinct {', '.join(keys)} from {DATASET}.{PREFIX}{raw_table}) known where {same}"
            f") order by position"
        ).to_arrow_table()
    finally:
        connection.unregister("incoming_rows")
    return result.column("position").combine_chunks()


def keep_new_rows(decoded: DecodedFile, warehouse: Path) -> None:
    """Drop from `decoded` the rows the warehouse already holds; say so in its warnings, and make an export
    that brings nothing new a ``duplicate``. A fresh warehouse keeps everything."""
    if decoded.status == "quarantined" or not warehouse.exists():
        return
    repeated: dict[str, int] = {}
    connection = _connect(warehouse)
    try:
        for name, keys in (("record", ("uuid", "last_modified_time")), ("device", ("device_key",))):
            table = decoded.tables.get(name)
            if table is None or not set(keys) <= _raw_columns(connection, name):
                continue
            keep = _new_positions(connection, table, name, keys)
            if len(keep) < table.num_rows:
                repeated[name] = table.num_rows - len(keep)
                decoded.tables[name] = table.take(keep)
    finally:
        connection.close()
    if "record" in repeated:
        kept = decoded.tables["record"].column("uuid")
        for child in CHILD_TABLES:
            table = decoded.tables.get(child)
            if table is not None:
                filtered = table.filter(
                    pc.is_in(table.column("record_uuid"), value_set=kept.combine_chunks())
                )
                if filtered.num_rows < table.num_rows:
                    repeated[child] = table.num_rows - filtered.num_rows
                decoded.tables[child] = filtered
    for name in [n for n, t in decoded.tables.items() if t.num_rows == 0]:
        del decoded.tables[name]
    if not repeated:
        return
    summary = ", ".join(f"{count} {name.replace('_', ' ')} rows" for name, count in repeated.items())
    decoded.warnings.append(f"already imported from an earlier export, not loaded again: {summary}")
    data_tables = [n for n in decoded.tables if n not in PER_FILE_TABLES and n != "device"]
    if not data_tables and decoded.status == "imported":
        decoded.status = "duplicate"
        decoded.reason = f"every record is already imported from an earlier export ({summary})"
        decoded.tables = {}
