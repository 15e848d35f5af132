"""Re-importing newer, cumulative Google Takeout Fitbit exports: keep only rows the warehouse does not hold.

Most files of a newer Takeout are byte-identical to the earlier one's and are duplicates by hash before they
are decoded. The files that changed (the 30-day file of the period that was still running, a day that synced
late, an edited weigh-in) are decoded again; their rows are then compared by content key with what
``raw_files.fitbit_<table>`` already holds: a row whose key and values are there is dropped, a row whose key
is there with other values (an edited weight) is kept as the newer version (staging keeps the latest load's
version of each key). A changed file that brings nothing new is logged as ``duplicate``.

Only the key range of the incoming rows is read from the warehouse (keys are times or ids), so a re-import
costs what the changed files hold, not the history.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from ingestion.files.model import DecodedFile

DATASET = "raw_files"

# table -> (key columns, content columns compared besides the key); the first key column bounds the lookup
KEYED_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "heart_rate": (("local_time",), ("bpm",)),
    "steps": (("local_time",), ("value",)),
    "calories": (("local_time",), ("value",)),
    "distance": (("local_time",), ("value",)),
    "resting_heart_rate": (("local_date",), ("value",)),
    "sleep": (("log_id",), ("local_end", "minutes_asleep", "minutes_awake")),
    "sleep_stage": (("log_id", "local_time", "is_short"), ("level", "seconds")),
    "exercise": (("log_id",), ("duration_ms", "distance", "calories", "steps")),
    "device": (("device_key",), ()),
    "weight": (("log_id",), ("weight", "fat")),
    "hrv_daily": (("local_time",), ("rmssd",)),
    "hrv_detail": (("local_time",), ("rmssd",)),
    "spo2_daily": (("local_time",), ("average_value",)),
    "spo2_minute": (("local_time",), ("value",)),
    "computed_temperature": (("local_start",), ("nightly_temperature",)),
    "device_temperature": (("local_time",), ("temperature",)),
    "profile": (("id",), ("timezone", "weight_unit", "height", "weight")),
}


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


def _new_positions(
    connection: duckdb.DuckDBPyConnection,
    table: pa.Table,
    raw_table: str,
    keys: tuple[str, ...],
    compared: list[str],
) -> pa.Array:
    """Positions of `table`'s rows whose key and content the raw table does not hold."""
    incoming = pa.table(
        {
            "position": pa.array(range(table.num_rows), pa.int64()),
            **{c: table.column(c) for c in (*keys, *compared)},
        }
    )
    connection.register("incoming_rows", incoming)
    try:
        same = " and ".join(
            [f"known.{k} is not distinct from incoming_rows.{k}" for k in keys]
            + [f"known.{c} is not distinct from incoming_rows.{c}" for c in compared]
        )
        selected = ", ".join([*keys, *compared])
        bound = keys[0]
        result = connection.execute(
            f"select position from incoming_rows where not exists ("
            f"select 1 from (select distinct {selected} from {DATASET}.{raw_table} "
            f"where {bound} between (select min({bound}) from incoming_rows) "
            f"and (select max({bound}) from incoming_rows)) known where {same}"
            f") order by position"
        ).to_arrow_table()
    finally:
        connection.unregister("incoming_rows")
    return result.column("position").combine_chunks()


def keep_new_rows(decoded: DecodedFile, warehouse: Path) -> None:
    """Drop from `decoded` the rows the warehouse already holds; say so in its warnings, and make a file that
    brings nothing new a ``duplicate``. A fresh warehouse keeps everything."""
    if decoded.status == "quarantined" or not decoded.tables or not warehouse.exists():
        return
    connection = _connect(warehouse)
    repeated: dict[str, int] = {}
    try:
        raw = _raw_columns(connection)
        for name, (keys, content) in KEYED_TABLES.items():
            table = decoded.tables.get(name)
            raw_table = f"fitbit_{name}"
            known = raw.get(raw_table, set())
            if table is None or not all(k in known and k in table.column_names for k in keys):
                continue
            compared = [c for c in content if c in table.column_names and c in known]
            keep = _new_positions(connection, table, raw_table, keys, compared)
            if len(keep) < table.num_rows:
                repeated[name] = table.num_rows - len(keep)
                decoded.tables[name] = table.take(keep)
    finally:
        connection.close()
    decoded.tables = {name: table for name, table in decoded.tables.items() if table.num_rows}
    if not repeated:
        return
    summary = ", ".join(f"{count} {name.replace('_', ' ')} rows" for name, count in repeated.items())
    decoded.warnings.append(f"already imported from an earlier export, not loaded again: {summary}")
    if not decoded.tables and decoded.status == "imported":
        decoded.status = "duplicate"
        decoded.reason = f"every row is already imported from an earlier export ({summary})"
