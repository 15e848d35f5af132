"""Re-importing Apple Health exports: keep only what the warehouse does not hold yet.

Exports are cumulative and their bytes change every time (new records, new device addresses, a new export
date), so the file hash cannot tell what is new. Content keys can (``record_key``, ``workout_key``,
``device_key``, see ``ingestion.files.apple_health``): a row is dropped when ``raw_files`` already holds its
key with the same content. A record whose key is known with another value (an edited weight) is kept: it is
the newer version, and staging keeps the latest version of each key (by export date), so it replaces the old
value instead of adding to it.

An export that brings nothing new is logged as ``duplicate``, with how many rows it repeated.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from ingestion.files.model import DecodedFile

DATASET = "raw_files"

# table -> (key column, content columns compared besides the key); the workout's parts follow its workout
_KEYED_TABLES = {
    "record": ("record_key", ("value",)),
    "workout": ("workout_key", ("duration", "total_distance", "total_energy_burned")),
    "device": ("device_key", ()),
    "activity_summary": (
        "date_components",
        ("active_energy_burned", "apple_exercise_time", "apple_stand_hours"),
    ),
}
_WORKOUT_PARTS = ("workout_event", "workout_statistics", "workout_route")
# Tables that say something about the file, not about the account's data: always loaded.
_PER_FILE_TABLES = ("export",)


def _connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.ConnectionException:  # this process already holds the file read-write
        return duckdb.connect(str(warehouse))


def _existing_tables(connection: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = connection.execute(
        "select table_name, column_name from information_schema.columns where table_schema = ?", [DATASET]
    ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return columns


def _new_positions(
    connection: duckdb.DuckDBPyConnection,
    table: pa.Table,
    raw_table: str,
    key: str,
    content: tuple[str, ...],
    raw_columns: set[str],
) -> pa.Array:
    """Positions of `table`'s rows whose key and content the raw table does not hold."""
    compared = [c for c in content if c in table.column_names and c in raw_columns]
    incoming = pa.table(
        {
            "position": pa.array(range(table.num_rows), pa.int64()),
            key: table.column(key),
            **{c: table.column(c) for c in compared},
        }
    )
    connection.register("incoming_rows", incoming)
    try:
        same = " and ".join(
            [f"known.{key} = incoming_rows.{key}"]
            + [f"known.{c} is not distinct from incoming_rows.{c}" for c in compared]
        )
        selected = ", ".join([key, *compared])
        result = connection.execute(
            f"select position from incoming_rows where not exists ("
            f"select 1 from (select distinct {selected} from {DATASET}.{raw_table}) known where {same}"
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
    connection = _connect(warehouse)
    try:
        raw = _existing_tables(connection)
        repeated: dict[str, int] = {}
        for name, (key, content) in _KEYED_TABLES.items():
            table = decoded.tables.get(name)
            raw_table = f"apple_health_{name}"
            if (
                table is None
                or raw_table not in raw
                or key not in raw[raw_table]
                or key not in table.column_names
            ):
                continue
            keep = _new_positions(connection, table, raw_table, key, content, raw[raw_table])
            if len(keep) == table.num_rows:
                continue
            repeated[name] = table.num_rows - len(keep)
            decoded.tables[name] = table.take(keep)
            if name == "workout":
                _keep_parts_of_new_workouts(decoded)
    finally:
        connection.close()
    for name in [n for n, t in decoded.tables.items() if t.num_rows == 0]:
        del decoded.tables[name]
    if not repeated:
        return
    summary = ", ".join(f"{count} {name.replace('_', ' ')} rows" for name, count in repeated.items())
    decoded.warnings.append(f"already imported from an earlier export, not loaded again: {summary}")
    data_tables = [n for n in decoded.tables if n not in _PER_FILE_TABLES]
    if not data_tables and decoded.status == "imported":
        decoded.status = "duplicate"
        decoded.reason = f"every row is already imported from an earlier export ({summary})"
        decoded.tables = {}


def _keep_parts_of_new_workouts(decoded: DecodedFile) -> None:
    kept = set(decoded.tables["workout"].column("workout_key").to_pylist())
    for part in _WORKOUT_PARTS:
        table = decoded.tables.get(part)
        if table is not None:
            mask = pa.array([key in kept for key in table.column("workout_key").to_pylist()], pa.bool_())
            decoded.tables[part] = table.filter(mask)
