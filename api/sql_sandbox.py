"""`query_sql`: one read-only SELECT over the snapshot, sandboxed.

Layers, each enough on its own for most attacks, together for all the ones we know:
1. sqlglot (DuckDB dialect): exactly one statement, a SELECT / WITH / set operation, no DDL/DML/commands,
   no file- or URL-reading functions, no catalog-qualified or path-like table names. Gives readable reasons.
2. DuckDB's own parser (the one that will run the text): exactly one statement of type SELECT, and the same
   function / table checks on its serialised AST, so a parser disagreement cannot smuggle anything through.
3. Execution on a fresh in-memory instance with the snapshot attached READ_ONLY, external access off,
   configuration locked, a memory limit, one thread, a row cap and a time limit (a timer thread interrupts).
   A key scoped to some athletes gets copies of only its athletes' rows, and the snapshot is detached
   before the query runs, so no SQL can reach anybody else's data.

Bounds on the whole call, not only the query: the time limit covers attaching, the scoped copy, running,
fetching and converting the rows; the converted result is capped in bytes (whatever the row count); statements
nested deeper than MAX_NESTING are refused before any parser recurses on them; the functions that build one
huge value outside DuckDB's memory accounting (repeat, lpad, rpad, list_resize, array_resize) need a literal
length up to MAX_BUILT_LENGTH, and printf / format a literal format without '*' or 7-digit widths; no spilling
to disk.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import duckdb
import sqlglot
from sqlglot import exp

from query.snapshot import (
    PUBLISHED_SCHEMAS,
    SNAPSHOT_CATALOG,
    SnapshotUnavailable,
    _sql_string,
    search_path_for,
)
from query.values import json_safe

MAX_ROWS_CAP = 10_000
DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MEMORY_LIMIT = "256MB"
DEFAULT_MAX_RESULT_BYTES = 4 << 20
MAX_SQL_CHARS = 20_000
# Parentheses (and brackets) deeper than this are refused: 6,000 of them overflowed the parsers' recursion.
MAX_NESTING = 100
# repeat('x', 300000000) builds its value outside DuckDB's memory limit (1.5e9 took 13 s and 4 GB): the length
# argument of these functions must be a literal no larger than this.
MAX_BUILT_LENGTH = 1_000_000
_LENGTH_ARGUMENT = {"repeat": "times", "pad": "expression", "lpad": "expression", "rpad": "expression"}
# Checked on DuckDB's own AST: these take the length as their second argument too.
_DUCKDB_LENGTH_FUNCTIONS = {"repeat", "lpad", "rpad", "list_resize", "array_resize"}
# printf / format build a value as wide as the format says: a literal format whose widths stay small.
_FORMAT_FUNCTIONS = {"printf", "format"}
_WIDE_FORMAT = re.compile(r"[0-9]{7,}|\*|\{[^}]*\{")
_FETCH_BATCH = 256

# Functions that read files, URLs, other databases or run SQL from a string. External access is off
# anyway; rejecting them up front gives a clear reason and a second wall.
_FORBIDDEN_FUNCTIONS = {
    "glob",
    "query",
    "query_table",
    "sniff_csv",
    "json_execute_serialized_sql",
    "checkpoint",
    "force_checkpoint",
    "duckdb_secrets",
    "which_secret",
    "getenv",
    "load_aws_credentials",
    "iceberg_scan",
    "iceberg_metadata",
    "iceberg_snapshots",
    "delta_scan",
    "st_read",
    "st_read_meta",
    "sqlite_attach",
    "postgres_attach",
    "mysql_attach",
    "postgres_query",
    "mysql_query",
    "duckdb_extensions",
    "install_extension",
    "load_extension",
}
_FORBIDDEN_PREFIXES = (
    "read_",
    "parquet_",
    "sqlite_",
    "postgres_",
    "mysql_",
    "iceberg_",
    "delta_",
    "pragma_",
    "ducklake_",
    "http",
    "s3_",
    "gcs_",
    "azure_",
    "excel_",
    "xlsx",
)
_FORBIDDEN_SUFFIXES = ("_scan", "_attach")
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ALLOWED_ROOTS = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)
_FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = tuple(
    getattr(exp, name)
    for name in (
        "Insert",
        "Update",
        "Delete",
        "Merge",
        "Create",
        "Drop",
        "Alter",
        "Command",
        "Set",
        "Pragma",
        "Copy",
        "Attach",
        "Detach",
        "Install",
        "Use",
        "Transaction",
        "Commit",
        "Rollback",
        "Into",
        "Describe",
        "Summarize",
        "Show",
        "Export",
        "Load",
        "TruncateTable",
        "Kill",
    )
    if hasattr(exp, name)
)


class SqlRejected(ValueError):
    """The statement is not allowed; the message says why."""


class SqlFailed(RuntimeError):
    """The statement was allowed but failed while running (error, time or memory limit)."""


@dataclass
class SqlResult:
    columns: list[str]
    types: list[str]
    rows: list[list[Any]]
    row_count: int
    truncated: bool
    elapsed_ms: float


def _function_forbidden(name: str) -> bool:
    lowered = name.lower()
    return (
        lowered in _FORBIDDEN_FUNCTIONS
        or lowered.startswith(_FORBIDDEN_PREFIXES)
        or lowered.endswith(_FORBIDDEN_SUFFIXES)
    )


def _check_nesting(sql: str) -> None:
    """Refuses brackets nested deeper than MAX_NESTING (outside quoted text) before a parser recurses on them."""
    depth = deepest = 0
    quote: str | None = None
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    if deepest > MAX_NESTING:
        raise SqlRejected(
            f"the statement is nested too deeply ({deepest} levels of brackets, at most {MAX_NESTING})"
        )


def _check_built_length(node: exp.Func, name: str) -> None:
    """repeat / lpad / rpad: the length must be a literal integer up to MAX_BUILT_LENGTH."""
    lowered = name.lower()
    if lowered not in _LENGTH_ARGUMENT:
        return
    if isinstance(node, exp.Anonymous):
        arguments = node.expressions
        length = arguments[1] if len(arguments) > 1 else None
    else:
        length = node.args.get(_LENGTH_ARGUMENT[lowered])
    value = length.to_py() if isinstance(length, exp.Literal) and length.is_int else None
    if not isinstance(value, int) or not 0 <= value <= MAX_BUILT_LENGTH:
        raise SqlRejected(f"{lowered}() needs a literal length between 0 and {MAX_BUILT_LENGTH:,}")


def _check_with_sqlglot(sql: str) -> None:
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise SqlRejected(f"could not parse the SQL: {str(exc).splitlines()[0]}") from exc
    if not statements:
        raise SqlRejected("empty statement: send one SELECT")
    if len(statements) > 1:
        raise SqlRejected(f"exactly one statement is allowed, got {len(statements)}")
    root = statements[0]
    if not isinstance(root, _ALLOWED_ROOTS):
        raise SqlRejected(f"only SELECT (or WITH ... SELECT) is allowed, got {root.key.upper()}")
    for node in root.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise SqlRejected(f"{node.key.upper()} is not allowed inside a read-only query")
        if isinstance(node, exp.Func):
            name = node.name if isinstance(node, exp.Anonymous) else node.sql_name()
            if name and _function_forbidden(name):
                raise SqlRejected(
                    f"function {name.lower()}() reads files, URLs or other databases; not allowed"
                )
            if name:
                _check_built_length(node, name)
            if isinstance(node, exp.ReadCSV):
                raise SqlRejected("function read_csv() reads files; not allowed")
        if isinstance(node, exp.Table):
            if node.args.get("catalog") is not None:
                raise SqlRejected(
                    f"catalog-qualified table {node.sql('duckdb')!r} is not allowed; use schema.table"
                )
            ident = node.this
            if isinstance(ident, exp.Identifier) and not _PLAIN_NAME.match(ident.name):
                raise SqlRejected(f"table name {ident.name!r} looks like a file path or URL; not allowed")


def _walk_json(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk_json(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_json(value)


def _constant(node: dict) -> Any:
    return (node.get("value") or {}).get("value") if node.get("class") == "CONSTANT" else None


def _check_built_size(name: str, children: list[dict]) -> None:
    """On DuckDB's AST: a function that builds one value of a requested size asks for a small, literal one."""
    if name in _DUCKDB_LENGTH_FUNCTIONS:
        value = _constant(children[1]) if len(children) > 1 else None
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_BUILT_LENGTH:
            raise SqlRejected(f"{name}() needs a literal length between 0 and {MAX_BUILT_LENGTH:,}")
    if name in _FORMAT_FUNCTIONS:
        pattern = _constant(children[0]) if children else None
        if not isinstance(pattern, str) or _WIDE_FORMAT.search(pattern):
            raise SqlRejected(f"{name}() needs a literal format without '*' or widths of 7 digits or more")


def _check_with_duckdb(sql: str) -> set[tuple[str, str]]:
    """Re-checks with DuckDB's parser; returns the (schema, table) names the query reads."""
    parser = duckdb.connect(":memory:")
    try:
        try:
            statements = parser.extract_statements(sql)
        except duckdb.Error as exc:
            raise SqlRejected(f"could not parse the SQL: {str(exc).splitlines()[0]}") from exc
        if len(statements) != 1:
            raise SqlRejected(f"exactly one statement is allowed, got {len(statements)}")
        if statements[0].type != duckdb.StatementType.SELECT:
            raise SqlRejected(f"only SELECT is allowed, got {statements[0].type.name}")
        # A SELECT without FROM returns exactly one row.
        (text,) = cast(tuple[str], parser.execute("SELECT json_serialize_sql(?)", [sql]).fetchone())
        serialised = json.loads(text)
    finally:
        parser.close()
    if serialised.get("error"):
        raise SqlRejected(
            f"only a plain SELECT is allowed: {serialised.get('error_message', 'not a SELECT')}"
        )
    tables: set[tuple[str, str]] = set()
    for node in _walk_json(serialised["statements"]):
        name = node.get("function_name")
        if isinstance(name, str) and _function_forbidden(name):
            raise SqlRejected(f"function {name.lower()}() reads files, URLs or other databases; not allowed")
        if isinstance(name, str):
            _check_built_size(name.lower(), node.get("children") or [])
        if node.get("type") == "BASE_TABLE":
            if node.get("catalog_name"):
                raise SqlRejected("catalog-qualified table names are not allowed; use schema.table")
            table = node.get("table_name", "")
            if not _PLAIN_NAME.match(table):
                raise SqlRejected(f"table name {table!r} looks like a file path or URL; not allowed")
            tables.add((node.get("schema_name", ""), table))
    return tables


def check_sql(sql: str) -> set[tuple[str, str]]:
    """Raises SqlRejected with a reason unless `sql` is one safe SELECT; returns the tables it names."""
    if not isinstance(sql, str) or not sql.strip():
        raise SqlRejected("empty statement: send one SELECT")
    if len(sql) > MAX_SQL_CHARS:
        raise SqlRejected(f"statement too long ({len(sql)} characters, at most {MAX_SQL_CHARS})")
    if "\x00" in sql:
        raise SqlRejected("NUL bytes are not allowed in SQL")
    _check_nesting(sql)
    try:
        _check_with_sqlglot(sql)
        return _check_with_duckdb(sql)
    except RecursionError:
        # Deep nesting of something other than brackets (long chains of operators, say).
        raise SqlRejected("the statement is nested too deeply to check") from None


# meta tables a scoped key may read: build facts only (row counts and freshness span every athlete).
_SCOPED_META = {"build_info"}


def _athlete_filter(columns: set[str], schema: str, table: str) -> str | None:
    """SQL predicate (over snap.* tables) keeping only the allowed athletes' rows; None = not exposable."""
    allowed = "list_contains($athletes, CAST(athlete_id AS VARCHAR))"
    if "athlete_id" in columns:
        return allowed
    if "activity_id" in columns:
        return (
            f"activity_id IN (SELECT activity_id FROM {SNAPSHOT_CATALOG}.openfit.activities WHERE {allowed})"
        )
    if "sleep_id" in columns:
        return f"sleep_id IN (SELECT sleep_id FROM {SNAPSHOT_CATALOG}.openfit.sleep_sessions WHERE {allowed})"
    if schema == "meta" and table in _SCOPED_META:
        return "true"
    return None


def _scope_to_athletes(
    conn: duckdb.DuckDBPyConnection, tables: set[tuple[str, str]], athletes: list[str]
) -> None:
    """Copies the referenced tables, filtered to `athletes`, into the in-memory catalog; detaches the snapshot."""
    available = conn.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?", [SNAPSHOT_CATALOG]
    ).fetchall()
    wanted_names = {name.lower() for _, name in tables}
    for schema, table in available:
        if table.lower() not in wanted_names:
            continue
        columns = {
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND schema_name = ? "
                "AND table_name = ?",
                [SNAPSHOT_CATALOG, schema, table],
            ).fetchall()
        }
        predicate = _athlete_filter(columns, schema, table)
        if predicate is None:
            continue
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS memory."{schema}"')
        conn.execute(
            f'CREATE TABLE memory."{schema}"."{table}" AS '
            f'SELECT * FROM {SNAPSHOT_CATALOG}."{schema}"."{table}" WHERE {predicate}',
            {"athletes": athletes} if "$athletes" in predicate else None,
        )
    for schema in PUBLISHED_SCHEMAS:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS memory."{schema}"')
    conn.execute("USE memory")
    conn.execute(f"DETACH {SNAPSHOT_CATALOG}")


def _json_size(value: Any) -> int:
    """About how many bytes `value` (already json_safe) takes in a JSON answer; cheap, no copy of the text."""
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, list):
        return sum(_json_size(v) + 1 for v in value) + 2
    if isinstance(value, dict):
        return sum(len(str(k)) + 4 + _json_size(v) for k, v in value.items()) + 2
    return 8 if value is not None else 4


def run_sql(
    snapshot: Path,
    sql: str,
    *,
    athletes: list[str] | None = None,
    max_rows: int = 1000,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
) -> SqlResult:
    """Runs one checked SELECT on the snapshot. `athletes=None` means every athlete (admin or local use).

    `timeout_s` bounds the whole call (setup, scoped copy, query, fetch and conversion); `max_result_bytes` the
    converted rows; `memory_limit` the query's DuckDB instance."""
    started = time.perf_counter()
    if not 1 <= max_rows <= MAX_ROWS_CAP:
        raise SqlRejected(f"max_rows must be between 1 and {MAX_ROWS_CAP}, got {max_rows}")
    tables = check_sql(sql)
    if not Path(snapshot).exists():
        raise SnapshotUnavailable("no snapshot published yet")
    too_slow = f"query exceeded the time limit of {timeout_s:g} s"
    too_big = (
        f"the result exceeds the limit of {max_result_bytes / (1 << 20):g} MB; select fewer rows or "
        "columns, or shorter values"
    )
    deadline = started + timeout_s
    # No temp_directory: an in-memory instance would otherwise spill to ./.tmp, up to 90% of the disk.
    conn = duckdb.connect(
        ":memory:", config={"threads": 1, "memory_limit": memory_limit, "temp_directory": ""}
    )
    timed_out = threading.Event()
    finished = threading.Event()

    def interrupt() -> None:
        # DuckDB's interrupt stops the statement running at that moment and is lost when none is (between
        # the setup statements, or before the query starts on a loaded machine), so it repeats until the
        # call has ended.
        timed_out.set()
        while not finished.is_set():
            try:
                conn.interrupt()
            except duckdb.Error:  # closed meanwhile: the call is over
                return
            finished.wait(0.05)

    # Started before the snapshot is attached: copying a scoped key's rows counts against the limit too.
    timer = threading.Timer(max(0.0, deadline - time.perf_counter()), interrupt)
    timer.daemon = True
    timer.start()
    rows: list[list[Any]] = []
    try:
        try:
            conn.execute(f"ATTACH {_sql_string(str(snapshot))} AS {SNAPSHOT_CATALOG} (READ_ONLY)")
            if athletes is None:
                conn.execute(f"USE {SNAPSHOT_CATALOG}")
                catalog = SNAPSHOT_CATALOG
            else:
                _scope_to_athletes(conn, tables, [str(a) for a in athletes])
                catalog = "memory"
            conn.execute(f"SET search_path = {_sql_string(search_path_for(conn, catalog))}")
            conn.execute("SET GLOBAL TimeZone = 'UTC'")
            conn.execute("SET enable_external_access = false")
            conn.execute("SET lock_configuration = true")
            result = conn.execute(sql)
            names = [d[0] for d in result.description]
            types = [str(d[1]) for d in result.description]
            size = 0
            # Fetched and converted a batch at a time, so an oversized or slow result stops early.
            while len(rows) <= max_rows:
                batch = result.fetchmany(min(_FETCH_BATCH, max_rows + 1 - len(rows)))
                if not batch:
                    break
                for raw in batch:
                    row = [json_safe(v) for v in raw]
                    size += _json_size(row)
                    if size > max_result_bytes:
                        raise SqlFailed(too_big)
                    rows.append(row)
                if timed_out.is_set() or time.perf_counter() > deadline:
                    raise SqlFailed(too_slow)
        except duckdb.InterruptException as exc:
            raise SqlFailed(too_slow) from exc
        except duckdb.OutOfMemoryException as exc:
            raise SqlFailed(f"query exceeded the memory limit of {memory_limit}") from exc
        except duckdb.Error as exc:
            if timed_out.is_set():
                raise SqlFailed(too_slow) from exc
            raise SqlFailed(f"query failed: {str(exc).splitlines()[0]}") from exc
    finally:
        finished.set()
        timer.cancel()
        conn.close()
    truncated = len(rows) > max_rows
    rows = rows[:max_rows]
    elapsed_ms = (time.perf_counter() - started) * 1000
    return SqlResult(
        columns=names,
        types=types,
        rows=rows,
        row_count=len(rows),
        truncated=truncated,
        elapsed_ms=round(elapsed_ms, 2),
    )
