"""Checksums of every published openfit and marts table, for comparing an incremental build with a full one.

Columns that record when or by which run a row was written (not what it says) are left out. Doubles are
rounded to 9 significant digits so that summation order (which a full and an incremental build may take
differently) does not count as a difference; anything larger does.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# (table, column): bookkeeping of the run, not content.
VOLATILE = {
    ("spec_info", "built_at"),
    ("spec_info", "dbt_invocation_id"),
    ("activity_recordings", "loaded_at"),
    ("activity_recordings", "fetched_at"),  # for imported files: when the file was imported
    ("activity_load", "scored_at"),
    ("activity_data_issues", "checked_at"),
    ("file_imports", "imported_at"),
}


def _column_expr(table: str, column: str, data_type: str) -> str | None:
    if (table, column) in VOLATILE:
        return None
    quoted = '"' + column.replace('"', '""') + '"'
    if data_type in {"DOUBLE", "FLOAT", "REAL"}:
        # 9 significant digits: log10 picks the scale; zero and null pass through.
        return (
            f"case when {quoted} is null or {quoted} = 0 or isnan({quoted}) or isinf({quoted}) then {quoted}::varchar "
            f"else round({quoted} / pow(10, floor(log10(abs({quoted}))) - 8))::varchar end"
        )
    return f"{quoted}::varchar"


def table_checksums(
    database: Path, schemas: tuple[str, ...] = ("openfit", "marts")
) -> dict[str, tuple[int, int]]:
    """{schema.table: (rows, order-independent hash of the rows)} for every base table of the schemas."""
    out: dict[str, tuple[int, int]] = {}
    with duckdb.connect(str(database), read_only=True) as con:
        catalog = con.execute("select current_database()").fetchone()[0]
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_type = 'BASE TABLE' "
            f"and table_schema in ({', '.join('?' for _ in schemas)}) order by 1, 2",
            list(schemas),
        ).fetchall()
        for schema, table in tables:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_catalog = current_database() and table_schema = ? and table_name = ? "
                "order by ordinal_position",
                [schema, table],
            ).fetchall()
            exprs = [
                f"coalesce({e}, '<null>')" for c, t in columns if (e := _column_expr(table, c, t)) is not None
            ]
            row = con.execute(
                f"select count(*), coalesce(sum(hash(concat_ws('|', {', '.join(exprs)})))::hugeint, 0) "
                f'from "{catalog}"."{schema}"."{table}"'
            ).fetchone()
            out[f"{schema}.{table}"] = (int(row[0]), int(row[1]))
    return out


def differences(left: dict[str, tuple[int, int]], right: dict[str, tuple[int, int]]) -> dict[str, tuple]:
    """Tables whose rows or hash differ, or that exist on one side only."""
    return {
        name: (left.get(name), right.get(name))
        for name in sorted(set(left) | set(right))
        if left.get(name) != right.get(name)
    }
