"""Publish: copy the consumer layers of the writer's warehouse into a new DuckDB file and swap it in atomically.

Readers open `$OPENFIT_HOME/serving/openfit.duckdb` read-only. The new snapshot is written beside it under a
temporary name, checkpointed and closed, fsynced, then renamed over the old one (`os.replace`, atomic on POSIX).
A reader that opens the path therefore always sees one complete snapshot, old or new; a reader that already
has the old file open keeps reading it. If anything fails before the rename, the old snapshot stays.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from openfit import __version__
from openfit.settings import Settings, get_settings
from openfit.snapshot import RAW_ATHLETE_COLUMN

# Schemas readers get. Raw and staging stay in the writer's file (researchers who need them can ask the
# operator for a copy of the warehouse taken while no build runs).
PUBLISHED_SCHEMAS = ("openfit", "marts")
META_SCHEMA = "meta"

# The provider payloads go to their own file ($OPENFIT_HOME/serving/raw_payloads.duckdb) so the account
# export can hand them out without a reader touching the warehouse, while the researchers' snapshot stays
# lean. Schema raw_<provider> becomes schema <provider>. raw_files is left out: its rows are decoded from
# the original files, which the export ships byte for byte from the blob store.
RAW_PREFIX = "raw_"
RAW_NOT_PAYLOADS = ("raw_files",)
# Raise when the copy changes (columns added, attribution rules), so existing copies are rebuilt.
RAW_LAYOUT_VERSION = 1


@dataclass(frozen=True)
class PublishResult:
    path: Path
    built_at: datetime
    row_counts: dict[str, int]
    bytes: int


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def published_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    rows = con.execute(
        """
        select table_schema, table_name
        from information_schema.tables
        where table_catalog = current_database() and list_contains(?, table_schema)
        order by table_schema, table_name
        """,
        [list(PUBLISHED_SCHEMAS)],
    ).fetchall()
    return [(schema, table) for schema, table in rows]


def publish_snapshot(run_id: str = "manual", settings: Settings | None = None) -> PublishResult:
    """Build a fresh snapshot from the warehouse and swap it in. Call only from the single writer."""
    settings = settings or get_settings()
    settings.ensure_dirs()
    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"no warehouse at {settings.warehouse_path}: run `openfit build` first")

    built_at = datetime.now(UTC)
    row_counts: dict[str, int] = {}
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        tables = published_tables(con)
        if not any(schema == "openfit" for schema, _ in tables):
            raise RuntimeError("the warehouse has no `openfit` tables: the transform step has not run")
        publish_raw_payloads(con, settings)
        with _swapped_in(con, settings.snapshot_path, "snap"):
            for schema in sorted({schema for schema, _ in tables}):
                con.execute(f"create schema snap.{_quote(schema)}")
            for schema, table in tables:
                target = f"snap.{_quote(schema)}.{_quote(table)}"
                con.execute(f"create table {target} as select * from {_quote(schema)}.{_quote(table)}")
                row_counts[f"{schema}.{table}"] = con.execute(f"select count(*) from {target}").fetchone()[0]
            _write_meta(con, run_id, built_at, row_counts)
            _write_quality_checks(con, settings.home_dir / "quality" / run_id)
    finally:
        con.close()
    return PublishResult(settings.snapshot_path, built_at, row_counts, settings.snapshot_path.stat().st_size)


@contextmanager
def _swapped_in(con: duckdb.DuckDBPyConnection, target: Path, alias: str) -> Iterator[None]:
    """Attach a new database file beside `target` as `alias`; when the block succeeds, checkpoint and close it,
    fsync it and rename it over `target` (atomic). When the block fails, the new file is removed and `target`
    stays as it was."""
    tmp_path = target.parent / f".{target.stem}-{uuid.uuid4().hex[:8]}.duckdb.tmp"
    con.execute(f"attach {_quote_literal(tmp_path)} as {alias}")
    try:
        yield
        con.execute(f"detach {alias}")  # checkpoints and closes the new file: no WAL is left behind
    except BaseException:
        with suppress(duckdb.Error):  # keep the original error, and still remove the file
            con.execute(f"detach database if exists {alias}")
        tmp_path.unlink(missing_ok=True)
        Path(str(tmp_path) + ".wal").unlink(missing_ok=True)
        raise
    _fsync(tmp_path)
    os.replace(tmp_path, target)
    _fsync(target.parent)


def _quote_literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _write_quality_checks(con: duckdb.DuckDBPyConnection, results_dir: Path) -> None:
    """`meta.quality_checks`: one row per Great Expectations suite this run validated (the JSON results the
    asset checks wrote under $OPENFIT_HOME/quality/<run_id>/), so readers see which checks passed or failed
    without the Dagster instance. Blocking failures never get here (they stop the publish); non-blocking ones do."""
    rows = []
    for result_path in sorted(results_dir.glob("*.json")) if results_dir.is_dir() else []:
        try:
            document = json.loads(result_path.read_text())
        except (OSError, ValueError) as exc:
            rows.append((result_path.stem, "unreadable", None, None, f"result file unreadable: {exc}", None))
            continue
        stats = document.get("statistics", {})
        html_path = result_path.with_suffix(".html")
        rows.append((
            result_path.stem,
            "passed" if document.get("success") else "failed",
            stats.get("evaluated_expectations"),
            stats.get("unsuccessful_expectations"),
            None,
            str(html_path) if html_path.exists() else None,
        ))  # fmt: skip
    con.execute(
        f"""create table snap.{META_SCHEMA}.quality_checks (
            check_name varchar, status varchar, evaluated_expectations integer,
            unsuccessful_expectations integer, detail varchar, report_path varchar)"""
    )
    if rows:
        con.executemany(f"insert into snap.{META_SCHEMA}.quality_checks values (?, ?, ?, ?, ?, ?)", rows)


def _write_meta(
    con: duckdb.DuckDBPyConnection, run_id: str, built_at: datetime, row_counts: dict[str, int]
) -> None:
    """`meta.build_info` (one row), `meta.table_rows`, `meta.source_freshness` for readers and `openfit status`."""
    con.execute(f"create schema snap.{META_SCHEMA}")
    con.execute(
        f"""create table snap.{META_SCHEMA}.build_info as
        select ?::varchar as run_id, ?::timestamptz as built_at, ?::varchar as openfit_version,
               'success'::varchar as status""",
        [run_id, built_at, __version__],
    )
    con.execute(f"create table snap.{META_SCHEMA}.table_rows (table_name varchar, row_count bigint)")
    con.executemany(f"insert into snap.{META_SCHEMA}.table_rows values (?, ?)", list(row_counts.items()))
    # Freshness per source: the newest record each source delivered, and how many rows it has per table.
    parts = []
    for table in ("activity_recordings", "sleep_sessions", "wellness_daily_by_source", "metrics"):
        cols = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_catalog = 'snap' and table_schema = 'openfit' and table_name = ?",
                [table],
            ).fetchall()
        }
        if "source" not in cols:
            continue
        time_col = next((c for c in ("loaded_at", "end_time", "ts", "date") if c in cols), None)
        newest = f"max({time_col})::timestamptz" if time_col else "null::timestamptz"
        parts.append(
            f"select source, '{table}' as table_name, count(*) as row_count, {newest} as newest_record "
            f"from snap.openfit.{table} group by source"
        )
    query = " union all ".join(parts) if parts else (
        "select null::varchar as source, null::varchar as table_name, 0::bigint as row_count, "
        "null::timestamptz as newest_record where false"
    )
    con.execute(f"create table snap.{META_SCHEMA}.source_freshness as {query}")


# ------------------------------------------------------------------------------------------- raw payloads


def raw_payload_tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """raw_<provider> schema -> its data tables (not dlt's bookkeeping, not dlt's staging datasets)."""
    rows = con.execute(
        """
        select table_schema, table_name from information_schema.tables
        where table_catalog = current_database() and starts_with(table_schema, ?)
          and not ends_with(table_schema, '_staging') and not starts_with(table_name, '_dlt_')
        order by 1, 2
        """,
        [RAW_PREFIX],
    ).fetchall()
    found: dict[str, list[str]] = {}
    for schema, table in rows:
        if schema not in RAW_NOT_PAYLOADS:
            found.setdefault(schema, []).append(table)
    return found


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_catalog = current_database() "
        "and table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()]


def _athlete_expression(con: duckdb.DuckDBPyConnection, schema: str, table: str, tables: list[str]) -> tuple[str, str]:
    """(SQL for the row's OpenFit athlete over alias t, extra FROM clause). Providers name the athlete in
    `athlete_id` (synthetic) or `athlete` (API providers: the athlete the token was connected for); child
    rows (streams, laps, sleep levels) inherit it from their parent activity or sleep in the same schema."""
    columns = _columns(con, schema, table)
    for own in ("athlete_id", "athlete"):
        if own in columns:
            return f"cast(t.{_quote(own)} as varchar)", ""
    for key, parents in (("activity_id", ("activities",)), ("sleep_id", ("sleep", "sleep_sessions"))):
        if key not in columns:
            continue
        for parent in parents:
            if parent == table or parent not in tables:
                continue
            parent_columns = _columns(con, schema, parent)
            owner = next((c for c in ("athlete_id", "athlete") if c in parent_columns), None)
            if key in parent_columns and owner:
                lookup = (f"(select cast({_quote(key)} as varchar) as k, any_value(cast({_quote(owner)} as varchar)) "
                          f"as a from {_quote(schema)}.{_quote(parent)} group by 1)")
                return "p.a", f" left join {lookup} p on p.k = cast(t.{_quote(key)} as varchar)"
    return "null::varchar", ""


def _raw_fingerprint(con: duckdb.DuckDBPyConnection, schemas: dict[str, list[str]]) -> str:
    """What the raw layer holds (its tables and each schema's newest dlt load) and how it is copied
    (RAW_LAYOUT_VERSION). Unchanged = nothing to copy."""
    with_loads = {r[0] for r in con.execute(
        "select table_schema from information_schema.tables where table_catalog = current_database() "
        "and table_name = '_dlt_loads'").fetchall()}
    parts = [{"schema": schema, "tables": tables,
              "newest_load": con.execute(f"select max(load_id) from {_quote(schema)}._dlt_loads").fetchone()[0]
              if schema in with_loads else None}
             for schema, tables in schemas.items()]
    return json.dumps({"layout": RAW_LAYOUT_VERSION, "raw": parts}, sort_keys=True)


def publish_raw_payloads(con: duckdb.DuckDBPyConnection, settings: Settings) -> bool:
    """Copies the provider payloads into serving/raw_payloads.duckdb and swaps it in; returns False when the
    raw layer has not changed since the last copy (then the published file stays as it is)."""
    schemas = raw_payload_tables(con)
    fingerprint = _raw_fingerprint(con, schemas)
    target = settings.raw_payloads_path
    if target.exists():
        try:
            with duckdb.connect(str(target), read_only=True) as old:
                if old.execute(f"select fingerprint from {META_SCHEMA}.raw_info").fetchone()[0] == fingerprint:
                    return False
        except duckdb.Error:
            pass  # unreadable or from an older version: rebuild it
    with _swapped_in(con, target, "rawsnap"):
        con.execute(f"create schema rawsnap.{META_SCHEMA}")
        con.execute(f"create table rawsnap.{META_SCHEMA}.raw_info as select ?::varchar as fingerprint, "
                    "?::timestamptz as built_at", [fingerprint, datetime.now(UTC)])
        for schema, tables in schemas.items():
            provider = schema.removeprefix(RAW_PREFIX)
            con.execute(f"create schema rawsnap.{_quote(provider)}")
            for table in tables:
                athlete, joins = _athlete_expression(con, schema, table, tables)
                con.execute(
                    f"create table rawsnap.{_quote(provider)}.{_quote(table)} as "
                    f"select t.*, {athlete} as {RAW_ATHLETE_COLUMN} from {_quote(schema)}.{_quote(table)} t{joins}"
                )
    return True
