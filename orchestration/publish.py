"""Publish: copy the consumer layers of the writer's warehouse into a new DuckDB file and swap it in atomically.

Readers open `$OPENFIT_HOME/serving/snapshot.duckdb` read-only. The new snapshot is written beside it under a
temporary name, checkpointed and closed, fsynced, then renamed over the old one (`os.replace`, atomic on POSIX).
A reader that opens the path therefore always sees one complete snapshot, old or new; a reader that already
has the old file open keeps reading it. If anything fails before the rename, the old snapshot stays.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from openfit import __version__
from openfit.settings import Settings, data_settings, get_settings, settings_hash
from orchestration.incremental import EVERY_ATHLETE, STATE_SCHEMA, ensure_state, raw_athlete_expression
from query.snapshot import RAW_ATHLETE_COLUMN

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
RAW_LAYOUT_VERSION = 2


@dataclass(frozen=True)
class PublishResult:
    path: Path
    built_at: datetime
    row_counts: dict[str, int]
    bytes: int
    kind: str = "full"  # "incremental": only what changed was rewritten
    rows_rewritten: dict[str, int] = field(default_factory=dict)


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


# The big tables are patched (their changed rows replaced) by an incremental publish; every other published
# table is small and copied whole. Raise SNAPSHOT_LAYOUT_VERSION when the snapshot's layout changes, so the
# next publish writes a fresh file.
PATCHED_TABLES = {
    ("openfit", "activity_samples"): "changed activities",
    ("openfit", "metrics"): "changed metric windows",
}
SNAPSHOT_LAYOUT_VERSION = 1


@dataclass(frozen=True)
class PreviousSnapshot:
    change_seq: int | None
    layout: int | None
    tables: frozenset[str]


def _previous_snapshot(path: Path) -> PreviousSnapshot | None:
    """What the published snapshot was built from (its change-log position), or None (absent, unreadable,
    or written by a version without the change log)."""
    if not path.exists():
        return None
    try:
        with duckdb.connect(":memory:") as con:
            con.execute(f"attach {_quote_literal(path)} as prev (read_only)")
            info = con.execute(
                f"select change_seq, layout_version from prev.{META_SCHEMA}.build_info"
            ).fetchone()
            tables = {
                r[0] for r in con.execute(f"select table_name from prev.{META_SCHEMA}.table_rows").fetchall()
            }
    except duckdb.Error:
        return None
    return PreviousSnapshot(info[0], info[1], frozenset(tables))


def _change_log(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    """(seq, kind) of every transform recorded in the warehouse, oldest first."""
    ensure_state(con)
    return con.execute(f"select seq, kind from {STATE_SCHEMA}.builds order by seq").fetchall()


def publish_snapshot(run_id: str = "manual", settings: Settings | None = None) -> PublishResult:
    """Bring the reader's snapshot up to the warehouse and swap it in. Call only from the single writer.

    Incremental when possible: the previous snapshot is copied and only what the transforms since it changed is
    rewritten (the changed activities' samples and the changed metric windows; the small tables whole). A full
    copy when there is no usable previous snapshot or a full transform happened since. Either way the new file
    is written beside the old one and renamed over it: readers see the old snapshot or the new one, never a mix.
    """
    settings = settings or get_settings()
    settings.ensure_dirs()
    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"no warehouse at {settings.warehouse_path}: run `openfit build` first")

    built_at = datetime.now(UTC)
    row_counts: dict[str, int] = {}
    rewritten: dict[str, int] = {}
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        tables = published_tables(con)
        if not any(schema == "openfit" for schema, _ in tables):
            raise RuntimeError("the warehouse has no `openfit` tables: the transform step has not run")
        publish_raw_payloads(con, settings)
        log = _change_log(con)
        change_seq = log[-1][0] if log else None
        previous = _previous_snapshot(settings.snapshot_path)
        since = [
            (seq, kind)
            for seq, kind in log
            if previous is not None and previous.change_seq is not None and seq > previous.change_seq
        ]
        incremental = (
            previous is not None
            and previous.change_seq is not None
            and previous.layout == SNAPSHOT_LAYOUT_VERSION
            and all(kind == "incremental" for _, kind in since)
            and previous.tables == {f"{schema}.{table}" for schema, table in tables}
        )
        start_from = settings.snapshot_path if incremental else None
        withheld = _withheld(con)
        with (
            _swapped_in(con, settings.snapshot_path, "snap", start_from=start_from),
            _previous_attached(con, settings.snapshot_path if previous is not None else None) as prev,
        ):
            if incremental:
                seqs = [seq for seq, _ in since]
                athletes = _changed_athletes(con, seqs)
                per_athlete = _per_athlete_tables(settings)
                con.execute(f"drop schema if exists snap.{META_SCHEMA} cascade")
                # Tables keyed by a parent first: their old rows are found through the parent's old ids.
                by_parent_first = sorted(tables, key=lambda t: "athlete_id" in _columns(con, *t))
                for schema, table in by_parent_first:
                    if (schema, table) in PATCHED_TABLES:
                        rewritten[f"{schema}.{table}"] = _patch(con, schema, table, seqs)
                    elif athletes is not None and (schema, table) in per_athlete:
                        rewritten[f"{schema}.{table}"] = _patch_athletes(con, schema, table, athletes)
                    else:
                        rewritten[f"{schema}.{table}"] = _copy_table(con, schema, table, replace=True)
            else:
                for schema in sorted({schema for schema, _ in tables}):
                    con.execute(f"create schema snap.{_quote(schema)}")
                for schema, table in tables:
                    rewritten[f"{schema}.{table}"] = _copy_table(con, schema, table, replace=False)
            released = (_previously_withheld(con, prev) - set(withheld)) if incremental else set()
            _keep_withheld_athletes(con, tables, set(withheld), released, prev)
            for schema, table in tables:
                target = f"snap.{_quote(schema)}.{_quote(table)}"
                row_counts[f"{schema}.{table}"] = con.execute(f"select count(*) from {target}").fetchone()[0]
            _write_meta(
                con,
                run_id,
                built_at,
                row_counts,
                change_seq,
                "incremental" if incremental else "full",
                rewritten,
                settings,
            )
            _write_withheld(con)
            _write_quality_checks(con, settings.home_dir / "quality" / run_id)
    finally:
        con.close()
    return PublishResult(
        settings.snapshot_path,
        built_at,
        row_counts,
        settings.snapshot_path.stat().st_size,
        "incremental" if incremental else "full",
        rewritten,
    )


# ------------------------------------------------------------------------------------------ withheld athletes
# Athletes whose rows failed a blocking test (orchestration/withholding.py) keep, in every published table, the
# rows the previous snapshot had for them (none when there was none); everyone else's rows are the warehouse's.
# Tables without athlete_id reach their athlete through the parent they are keyed by.
ATHLETE_PARENTS = {"activity_id": "openfit.activities", "sleep_id": "openfit.sleep_sessions"}


def _withheld(con: duckdb.DuckDBPyConnection) -> list[str]:
    from orchestration.withholding import withheld_athletes

    return sorted(withheld_athletes(con))


def _write_withheld(con: duckdb.DuckDBPyConnection) -> None:
    """`meta.withheld`: who is withheld and which test named them, for `openfit status` and Data health."""
    from orchestration.withholding import WITHHELD_SUMMARY

    con.execute(f"create table snap.{META_SCHEMA}.withheld as {WITHHELD_SUMMARY}")


@contextmanager
def _previous_attached(con: duckdb.DuckDBPyConnection, path: Path | None) -> Iterator[str | None]:
    """The published snapshot attached read-only as `prev` (None when there is none)."""
    if path is None:
        yield None
        return
    con.execute(f"attach {_quote_literal(path)} as prev (read_only)")
    try:
        yield "prev"
    finally:
        con.execute("detach prev")


def _previously_withheld(con: duckdb.DuckDBPyConnection, prev: str | None) -> set[str]:
    if prev is None:
        return set()
    try:
        return {r[0] for r in con.execute(f"select athlete_id from {prev}.{META_SCHEMA}.withheld").fetchall()}
    except duckdb.CatalogException:  # a snapshot published before withholding existed
        return set()


def _athlete_predicate(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, databases: list[str]
) -> str | None:
    """A WHERE clause (one list parameter: athlete ids) selecting a table's rows of those athletes, by their own
    athlete_id or their parent's; the parent's ids are looked up in each of `databases`. None: no athlete."""
    columns = set(_columns(con, schema, table))
    if "athlete_id" in columns:
        return "list_contains($1, athlete_id)"
    for key, parent in ATHLETE_PARENTS.items():
        if key in columns:
            ids = " union ".join(
                f"select {key} from {db}.{parent} where list_contains($1, athlete_id)" for db in databases
            )
            return f"{key} in ({ids})"
    return None


def _keep_withheld_athletes(
    con: duckdb.DuckDBPyConnection,
    tables: list[tuple[str, str]],
    withheld: set[str],
    released: set[str],
    prev: str | None,
) -> None:
    """Withheld athletes' rows back to the previous snapshot's; released athletes' rows (withheld last time, not
    now) rewritten from the warehouse, since an incremental publish patched only what changed meanwhile."""
    warehouse = con.execute("select current_database()").fetchone()[0]
    previous_tables = (
        set()
        if prev is None
        else {
            (r[0], r[1])
            for r in con.execute(
                "select table_schema, table_name from information_schema.tables where table_catalog = ?",
                [prev],
            ).fetchall()
        }
    )
    for schema, table in tables:
        target = f"snap.{_quote(schema)}.{_quote(table)}"
        for athletes, source in ((sorted(withheld), prev), (sorted(released), warehouse)):
            if not athletes:
                continue
            lookups = [warehouse, "snap"] + ([prev] if prev is not None else [])
            predicate = _athlete_predicate(con, schema, table, lookups)
            if predicate is None:
                break
            con.execute(f"delete from {target} where {predicate}", [athletes])
            if source is None or (source == prev and (schema, table) not in previous_tables):
                continue
            source_predicate = _athlete_predicate(con, schema, table, [source])
            # by name, the columns both have: a full publish may have added or dropped columns since
            shared = set(_columns(con, schema, table, "snap")) & set(_columns(con, schema, table, source))
            columns = ", ".join(_quote(c) for c in _columns(con, schema, table, "snap") if c in shared)
            con.execute(
                f"insert into {target} ({columns}) select {columns} "
                f"from {source}.{_quote(schema)}.{_quote(table)} where {source_predicate}",
                [athletes],
            )


def _changed_athletes(con: duckdb.DuckDBPyConnection, seqs: list[int]) -> list[str] | None:
    """The athletes whose rows the transforms `seqs` rewrote in the per-athlete tables; None: every athlete."""
    athletes = {
        r[0]
        for r in con.execute(
            f"select distinct athlete_id from {STATE_SCHEMA}.changed_athlete_log where list_contains(?, seq)",
            [seqs],
        ).fetchall()
    }
    return None if EVERY_ATHLETE in athletes else sorted(athletes)


def _per_athlete_tables(settings: Settings) -> set[tuple[str, str]]:
    """The published tables dbt builds incrementally (per athlete, or per activity within the changed
    athletes): between two builds only the changed athletes' rows of these change. The other tables are rebuilt
    whole by every build, and copied whole."""
    from orchestration.dbt import manifest_json

    return {
        (node["schema"], node["alias"] or node["name"])
        for node in manifest_json(settings)["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("materialized") == "incremental"
    }


def _patch_athletes(con: duckdb.DuckDBPyConnection, schema: str, table: str, athletes: list[str]) -> int:
    """Replace the changed athletes' rows in the snapshot's copy of a per-athlete table; returns the rows written.
    Rows keyed by a parent (laps by activity, sleep stages by session) find their athlete through the parent in
    the warehouse and in the snapshot (an activity id a merge retired is only in the snapshot)."""
    if not athletes:
        return 0
    warehouse = con.execute("select current_database()").fetchone()[0]
    target = f"snap.{_quote(schema)}.{_quote(table)}"
    predicate = _athlete_predicate(con, schema, table, [warehouse, "snap"])
    source_predicate = _athlete_predicate(con, schema, table, [warehouse])
    if predicate is None or source_predicate is None:
        return _copy_table(con, schema, table, replace=True)
    con.execute(f"delete from {target} where {predicate}", [athletes])
    return con.execute(
        f"insert into {target} select * from {_quote(schema)}.{_quote(table)} where {source_predicate}",
        [athletes],
    ).fetchone()[0]


def _copy_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, replace: bool) -> int:
    target = f"snap.{_quote(schema)}.{_quote(table)}"
    verb = "create or replace table" if replace else "create table"
    con.execute(f"{verb} {target} as select * from {_quote(schema)}.{_quote(table)}")
    return con.execute(f"select count(*) from {target}").fetchone()[0]


def _patch(con: duckdb.DuckDBPyConnection, schema: str, table: str, seqs: list[int]) -> int:
    """Replace the rows of the changed set (of the transforms `seqs`) in the snapshot's copy of a big table;
    returns the rows written."""
    source, target = f"{_quote(schema)}.{_quote(table)}", f"snap.{_quote(schema)}.{_quote(table)}"
    if not seqs:
        return 0
    if table == "activity_samples":
        ids = [
            r[0]
            for r in con.execute(
                f"select distinct activity_id from {STATE_SCHEMA}.changed_activities where list_contains(?, seq)",
                [seqs],
            ).fetchall()
        ]
        if not ids:
            return 0
        con.execute(f"delete from {target} where list_contains(?, activity_id)", [ids])
        return con.execute(
            f"insert into {target} select * from {source} where list_contains(?, activity_id) order by activity_id, ts",
            [ids],
        ).fetchone()[0]
    windows = con.execute(
        f"select athlete_id, min(ts_from), max(ts_to) from {STATE_SCHEMA}.changed_metric_windows "
        "where list_contains(?, seq) group by athlete_id",
        [seqs],
    ).fetchall()
    written = 0
    for athlete_id, ts_from, ts_to in windows:
        predicate = "athlete_id = ? and ts between ? and ?"
        con.execute(f"delete from {target} where {predicate}", [athlete_id, ts_from, ts_to])
        written += con.execute(
            f"insert into {target} select * from {source} where {predicate}", [athlete_id, ts_from, ts_to]
        ).fetchone()[0]
    return written


@contextmanager
def _swapped_in(
    con: duckdb.DuckDBPyConnection, target: Path, alias: str, start_from: Path | None = None
) -> Iterator[None]:
    """Attach a new database file beside `target` as `alias` (a copy of `start_from` when given); when the block
    succeeds, checkpoint and close it, fsync it and rename it over `target` (atomic). When the block fails, the
    new file is removed and `target` stays as it was."""
    for stale in target.parent.glob(f".{target.stem}-*.duckdb.tmp*"):  # left by a killed writer (one writer)
        stale.unlink(missing_ok=True)
    tmp_path = target.parent / f".{target.stem}-{uuid.uuid4().hex[:8]}.duckdb.tmp"
    try:
        if start_from is not None:
            shutil.copyfile(start_from, tmp_path)  # in-kernel copy (copy_file_range) on Linux
        con.execute(f"attach {_quote_literal(tmp_path)} as {alias}")
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
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
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    built_at: datetime,
    row_counts: dict[str, int],
    change_seq: int | None,
    publish_kind: str,
    rewritten: dict[str, int],
    settings: Settings,
) -> None:
    """`meta.build_info` (one row), `meta.table_rows`, `meta.source_freshness` for readers and `openfit status`.
    build_info.change_seq is the warehouse's last transform reflected here (the next publish patches from it);
    settings/settings_hash are the data-shaping settings the published rows were built with (openfit.settings)."""
    con.execute(f"create schema snap.{META_SCHEMA}")
    con.execute(
        f"""create table snap.{META_SCHEMA}.build_info as
        select ?::varchar as run_id, ?::timestamptz as built_at, ?::varchar as openfit_version,
               'success'::varchar as status, ?::bigint as change_seq, ?::varchar as publish_kind,
               ?::integer as layout_version, ?::json as settings, ?::varchar as settings_hash""",
        [
            run_id,
            built_at,
            __version__,
            change_seq,
            publish_kind,
            SNAPSHOT_LAYOUT_VERSION,
            json.dumps(data_settings(settings), sort_keys=True),
            settings_hash(settings),
        ],
    )
    con.execute(
        f"create table snap.{META_SCHEMA}.table_rows (table_name varchar, row_count bigint, rows_written bigint)"
    )
    con.executemany(
        f"insert into snap.{META_SCHEMA}.table_rows values (?, ?, ?)",
        [(name, count, rewritten.get(name)) for name, count in row_counts.items()],
    )
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
    query = (
        " union all ".join(parts)
        if parts
        else (
            "select null::varchar as source, null::varchar as table_name, 0::bigint as row_count, "
            "null::timestamptz as newest_record where false"
        )
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


def _columns(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, database: str | None = None
) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_catalog = coalesce(?, current_database()) "
            "and table_schema = ? and table_name = ? order by ordinal_position",
            [database, schema, table],
        ).fetchall()
    ]


def _raw_loads(con: duckdb.DuckDBPyConnection, schemas: dict[str, list[str]]) -> set[str]:
    """Every completed dlt load of the payload schemas."""
    loads: set[str] = set()
    for schema in schemas:
        if _columns(con, schema, "_dlt_loads"):
            loads |= {
                r[0]
                for r in con.execute(
                    f"select load_id from {_quote(schema)}._dlt_loads where status = 0"
                ).fetchall()
            }
    return loads


def _row_keys(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, list[str]]:
    """table -> the columns dlt merges it on (primary key, else merge key), from the schema dlt stored last."""
    if not _columns(con, schema, "_dlt_version"):
        return {}
    stored = con.execute(
        f"select schema from {_quote(schema)}._dlt_version order by inserted_at desc limit 1"
    ).fetchone()
    tables = json.loads(stored[0]).get("tables", {}) if stored else {}
    keys: dict[str, list[str]] = {}
    for table, spec in tables.items():
        columns = spec.get("columns", {})
        primary = [c for c, hints in columns.items() if hints.get("primary_key")]
        merge = [c for c, hints in columns.items() if hints.get("merge_key")]
        keys[table] = primary or merge
    return keys


def publish_raw_payloads(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """Brings serving/raw_payloads.duckdb up to the raw layer and swaps it in. Returns "unchanged" (no new load:
    the published file stays), "incremental" (the copy is patched with the rows of the new loads: rows dlt
    replaced are replaced by their merge keys, new rows appended) or "full" (copied whole: first copy, a load
    vanished, a new table, or the copy's layout changed)."""
    schemas = raw_payload_tables(con)
    loads = _raw_loads(con, schemas)
    target = settings.raw_payloads_path
    copied: set[str] | None = None
    copied_tables: set[str] = set()
    if target.exists():
        try:
            with duckdb.connect(":memory:") as old:
                old.execute(f"attach {_quote_literal(target)} as old (read_only)")
                layout = old.execute(f"select layout from old.{META_SCHEMA}.raw_info").fetchone()[0]
                if layout == RAW_LAYOUT_VERSION:
                    copied = {
                        r[0]
                        for r in old.execute(f"select load_id from old.{META_SCHEMA}.raw_loads").fetchall()
                    }
                    copied_tables = {
                        f"{r[0]}.{r[1]}"
                        for r in old.execute(
                            "select table_schema, table_name from information_schema.tables "
                            "where table_catalog = 'old' and table_schema <> ?",
                            [META_SCHEMA],
                        ).fetchall()
                    }
        except duckdb.Error:
            copied = None  # unreadable or from an older version: rebuild it
    if copied is not None and copied == loads:
        return "unchanged"
    wanted = {
        f"{schema.removeprefix(RAW_PREFIX)}.{table}" for schema, tables in schemas.items() for table in tables
    }
    incremental = copied is not None and copied <= loads and wanted == copied_tables
    new_loads = sorted(loads - copied) if incremental and copied is not None else []
    with _swapped_in(con, target, "rawsnap", start_from=target if incremental else None):
        con.execute(f"drop schema if exists rawsnap.{META_SCHEMA} cascade")
        con.execute(f"create schema rawsnap.{META_SCHEMA}")
        con.execute(
            f"create table rawsnap.{META_SCHEMA}.raw_info as select ?::integer as layout, "
            "?::timestamptz as built_at",
            [RAW_LAYOUT_VERSION, datetime.now(UTC)],
        )
        con.execute(f"create table rawsnap.{META_SCHEMA}.raw_loads (load_id varchar)")
        if loads:  # none when the only source was removed (synthetic_enabled = false); executemany needs rows
            con.executemany(
                f"insert into rawsnap.{META_SCHEMA}.raw_loads values (?)", [(x,) for x in sorted(loads)]
            )
        for schema, tables in schemas.items():
            provider = schema.removeprefix(RAW_PREFIX)
            keys = _row_keys(con, schema) if incremental else {}
            if not incremental:
                con.execute(f"create schema rawsnap.{_quote(provider)}")
            for table in tables:
                athlete, joins = raw_athlete_expression(con, schema, table, tables)
                rows = f"select t.*, {athlete} as {RAW_ATHLETE_COLUMN} from {_quote(schema)}.{_quote(table)} t{joins}"
                copy = f"rawsnap.{_quote(provider)}.{_quote(table)}"
                if not incremental:
                    con.execute(f"create table {copy} as {rows}")
                    continue
                if "_dlt_load_id" not in _columns(con, schema, table):
                    con.execute(f"create or replace table {copy} as {rows}")
                    continue
                new_rows = f"{rows} where list_contains(?, t._dlt_load_id)"
                key = keys.get(table) or []
                if key:
                    columns = ", ".join(_quote(k) for k in key)
                    con.execute(
                        f"delete from {copy} where ({columns}) in (select ({columns}) from {_quote(schema)}.{_quote(table)} "
                        "where list_contains(?, _dlt_load_id))",
                        [new_loads],
                    )
                con.execute(f"insert into {copy} {new_rows}", [new_loads])
                # Rows can leave the raw layer without a new load naming them (a merge key that shrank, a
                # manual repair): a count that disagrees after the patch means copy this table whole.
                source_rows = con.execute(
                    f"select count(*) from {_quote(schema)}.{_quote(table)}"
                ).fetchone()[0]
                if con.execute(f"select count(*) from {copy}").fetchone()[0] != source_rows:
                    con.execute(f"create or replace table {copy} as {rows}")
    return "incremental" if incremental else "full"
