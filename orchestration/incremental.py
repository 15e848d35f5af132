"""The incremental build's bookkeeping, in schema `openfit_state` of the writer's warehouse.

Every dlt load (any raw_<source> schema) is transformed once. Before dbt runs, `plan_transform` lists the
loads not yet transformed into `openfit_state.pending_loads`; the dbt models turn them into the changed set
(intermediate.int_changed_activities, int_changed_metric_windows) and recompute only that. When dbt has
succeeded, `finish_transform` marks the loads transformed and appends the changed set to the change log, which
the publish step replays onto the reader's snapshot (orchestration/publish.py).

When the pending loads bring nothing to recompute, dbt does not run at all (`nothing_to_transform`).

A full refresh (every table rebuilt from the raw layer) happens when asked (`openfit build --full`), on the
first build, when the dbt project's files changed since the last build (fingerprint; a change of its vars only,
the algorithm settings, rebuilds just the models that read them and what follows), when a load that
was transformed has vanished from the raw layer (a source's raw schema was dropped or replaced): incremental
models can add and replace rows, but only a full rebuild forgets rows whose raw data is gone), and when the
previous transform did not finish (killed, or a dbt test failed for the whole warehouse): dbt commits model by model, so an
interrupted run may have left some tables updated and others not, which the changed set cannot describe.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

STATE_SCHEMA = "openfit_state"

_DDL = f"""
create schema if not exists {STATE_SCHEMA};
create table if not exists {STATE_SCHEMA}.transformed_loads (
    load_id varchar primary key, schema_name varchar, transformed_at timestamptz);
create table if not exists {STATE_SCHEMA}.pending_loads (load_id varchar);
create table if not exists {STATE_SCHEMA}.changed_athletes (athlete_id varchar);
create table if not exists {STATE_SCHEMA}.transform_started (started_at timestamptz);
create table if not exists {STATE_SCHEMA}.builds (
    seq bigint primary key, kind varchar, reason varchar, fingerprint varchar, pending_loads bigint,
    finished_at timestamptz, raw_layout varchar);
create table if not exists {STATE_SCHEMA}.changed_activities (seq bigint, activity_id varchar, athlete_id varchar);
create table if not exists {STATE_SCHEMA}.changed_metric_windows (
    seq bigint, athlete_id varchar, ts_from timestamptz, ts_to timestamptz);
create table if not exists {STATE_SCHEMA}.changed_athlete_log (seq bigint, athlete_id varchar);
create table if not exists {STATE_SCHEMA}.build_nodes (seq bigint, unique_id varchar, seconds double);
create table if not exists {STATE_SCHEMA}.withheld (
    athlete_id varchar, test varchar, failing_rows bigint, recorded_at timestamptz, subject varchar);
"""


@dataclass(frozen=True)
class TransformPlan:
    full: bool
    reason: str  # why a full refresh, or "incremental"
    pending_loads: int
    fingerprint: str
    raw_layout: str = ""  # per raw table, a digest of its columns (raw_layout())
    # Staging views bind to the raw tables present when they are created (a source table that did not exist yet
    # becomes an empty placeholder, a missing column a null): rebuild the staging views reading a raw table
    # whose layout changed. None: every view; (): none; ("raw_files.fit_record",): the views reading it (the
    # intermediate views always come along when any view is rebuilt).
    changed_raw_tables: tuple[str, ...] | None = None
    # The dbt vars (algorithm settings) that changed since the last build when the project files did not: the
    # models that read them are rebuilt in full, everything else incrementally (orchestration/defs/transform.py).
    vars_changed: tuple[str, ...] = ()
    # The athletes whose raw rows the pending loads delivered (("*",): every athlete; (): none).
    athletes: tuple[str, ...] = ()


# The raw layer's schemas (raw_<source>), without dlt's own staging datasets (raw_<source>_staging, which a
# merge load creates and no view reads).
_RAW_SCHEMAS = "starts_with(table_schema, 'raw_') and not ends_with(table_schema, '_staging')"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ensure_state(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_DDL)


def raw_loads(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """load_id -> raw schema, for every completed dlt load in the warehouse."""
    schemas = [
        r[0]
        for r in con.execute(
            "select table_schema from information_schema.tables where table_catalog = current_database() "
            f"and table_name = '_dlt_loads' and {_RAW_SCHEMAS}"
        ).fetchall()
    ]
    loads: dict[str, str] = {}
    for schema in schemas:
        for (load_id,) in con.execute(
            f"select load_id from {_quote(schema)}._dlt_loads where status = 0"
        ).fetchall():
            loads[load_id] = schema
    return loads


def raw_layout(con: duckdb.DuckDBPyConnection) -> str:
    """Per raw table, a digest of its columns and types (what the staging views reading it were bound to), as
    JSON {"<schema>.<table>": digest}."""
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        f"where table_catalog = current_database() and {_RAW_SCHEMAS} order by all"
    ).fetchall()
    by_table: dict[str, list[tuple]] = {}
    for schema, table, *column in rows:
        by_table.setdefault(f"{schema}.{table}", []).append(tuple(column))
    digests = {name: hashlib.sha256(repr(cols).encode()).hexdigest()[:16] for name, cols in by_table.items()}
    return json.dumps(digests, sort_keys=True)


def changed_raw_tables(previous_layout: str | None, layout: str) -> tuple[str, ...] | None:
    """The raw tables ("<schema>.<table>") that appeared, vanished or changed columns since the previous layout;
    None when that cannot be told (no previous build, or one recorded before layouts were kept per table)."""
    try:
        before = json.loads(previous_layout or "")
    except json.JSONDecodeError:
        return None
    if not isinstance(before, dict) or any("." not in name for name in before):
        return None
    now = json.loads(layout)
    return tuple(sorted(name for name in set(before) | set(now) if before.get(name) != now.get(name)))


# In openfit_state.changed_athletes (and the change log): every athlete, when the loads' athletes cannot be told.
EVERY_ATHLETE = "*"
FILES_SCHEMA = "raw_files"  # file imports: all belong to the home's owner (setting files_athlete_id)


def raw_athlete_expression(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, tables: list[str]
) -> tuple[str, str]:
    """(SQL for the row's OpenFit athlete over alias t, extra FROM clause). Providers name the athlete in
    `athlete_id` (synthetic) or `athlete` (API providers: the athlete the token was connected for); child
    rows (streams, laps, sleep levels) inherit it from their parent activity or sleep in the same schema.
    `null` when neither applies."""
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
                lookup = (
                    f"(select cast({_quote(key)} as varchar) as k, any_value(cast({_quote(owner)} as varchar)) "
                    f"as a from {_quote(schema)}.{_quote(parent)} group by 1)"
                )
                return "p.a", f" left join {lookup} p on p.k = cast(t.{_quote(key)} as varchar)"
    return "null::varchar", ""


def changed_athletes(
    con: duckdb.DuckDBPyConnection, pending: dict[str, str], files_athlete_id: str | None
) -> list[str]:
    """The OpenFit athletes whose raw rows the pending loads (load_id -> raw schema) delivered: the tables and
    marts an incremental build recomputes per athlete recompute these (transform/README.md). [EVERY_ATHLETE]
    when a pending row's athlete cannot be told. The loads' rows are found by `_dlt_load_id` as a literal list,
    so DuckDB's zone maps skip the history."""
    athletes: set[str] = set()
    by_schema: dict[str, list[str]] = {}
    for load_id, schema in pending.items():
        by_schema.setdefault(schema, []).append(load_id)
    for schema, load_ids in sorted(by_schema.items()):
        if schema == FILES_SCHEMA:
            if not files_athlete_id:
                return [EVERY_ATHLETE]
            athletes.add(files_athlete_id)
            continue
        loads = "(" + ", ".join("'" + load_id.replace("'", "''") + "'" for load_id in load_ids) + ")"
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_catalog = current_database() "
                "and table_schema = ? and table_type = 'BASE TABLE' and not starts_with(table_name, '_dlt')",
                [schema],
            ).fetchall()
        ]
        for table in tables:
            if "_dlt_load_id" not in _columns(con, schema, table):
                continue
            athlete, joins = raw_athlete_expression(con, schema, table, tables)
            found = con.execute(
                f"select distinct {athlete} from {_quote(schema)}.{_quote(table)} t{joins} "
                f"where t._dlt_load_id in {loads}"
            ).fetchall()
            if any(row[0] is None for row in found):
                return [EVERY_ATHLETE]
            athletes.update(row[0] for row in found)
    return sorted(athletes)


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_catalog = current_database() "
            "and table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
    ]


def _has_published_layer(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_catalog = current_database() "
            "and table_schema = 'openfit' and table_name in ('activity_samples', 'metrics')"
        ).fetchone()[0]
        == 2
    )


def plan_transform(
    con: duckdb.DuckDBPyConnection,
    fingerprint: str,
    force_full: bool = False,
    files_athlete_id: str | None = None,
    full_reason: str = "asked for (--full)",
) -> TransformPlan:
    """Decide full or incremental and write openfit_state.pending_loads and changed_athletes (call on the
    writer's connection). `files_athlete_id`: the athlete the file imports belong to (setting); `full_reason`:
    the reason recorded for a forced full build."""
    ensure_state(con)
    loads = raw_loads(con)
    done = {r[0] for r in con.execute(f"select load_id from {STATE_SCHEMA}.transformed_loads").fetchall()}
    last = con.execute(
        f"select fingerprint, raw_layout from {STATE_SCHEMA}.builds order by seq desc limit 1"
    ).fetchone()
    layout = raw_layout(con)
    pending = sorted(set(loads) - done)
    vanished = done - set(loads)
    interrupted = con.execute(f"select count(*) from {STATE_SCHEMA}.transform_started").fetchone()[0] > 0
    if force_full:
        full, reason = True, full_reason
    elif not _has_published_layer(con) or last is None:
        full, reason = True, "first build"
    elif interrupted:
        full, reason = True, "the previous transform did not finish"
    elif _files_of(last[0]) != _files_of(fingerprint):
        full, reason = True, "the dbt project changed"
    elif vanished:
        full, reason = True, f"{len(vanished)} transformed load(s) are gone from the raw layer"
    else:
        full, reason = False, "incremental"
    athletes = (
        [EVERY_ATHLETE] if full else changed_athletes(con, {p: loads[p] for p in pending}, files_athlete_id)
    )
    con.execute("begin")
    con.execute(f"delete from {STATE_SCHEMA}.pending_loads")
    if pending:
        con.executemany(f"insert into {STATE_SCHEMA}.pending_loads values (?)", [(p,) for p in pending])
    con.execute(f"delete from {STATE_SCHEMA}.changed_athletes")
    if athletes:
        con.executemany(f"insert into {STATE_SCHEMA}.changed_athletes values (?)", [(a,) for a in athletes])
    con.execute(f"delete from {STATE_SCHEMA}.transform_started")
    con.execute(f"insert into {STATE_SCHEMA}.transform_started values (?)", [datetime.now(UTC)])
    con.execute("commit")
    changed_tables = None if full or last is None else changed_raw_tables(last[1], layout)
    vars_changed = () if full else changed_vars(last[0], fingerprint)
    if vars_changed:
        reason = f"incremental; settings changed: {', '.join(vars_changed)}"
    return TransformPlan(
        full, reason, len(pending), fingerprint, layout, changed_tables, vars_changed, tuple(athletes)
    )


def nothing_to_transform(con: duckdb.DuckDBPyConnection, plan: TransformPlan) -> bool:
    """True when an incremental build would recompute nothing, so dbt need not run at all: the pending loads (if
    any) brought no athlete's rows, no raw table changed its columns, no setting changed, and the daily marts
    already reach today (otherwise every athlete's daily marts gain the new day: int_marts_as_of)."""
    if plan.full or plan.vars_changed or plan.changed_raw_tables != () or plan.athletes:
        return False
    try:
        reaches_today = con.execute(
            "select bool_and(as_of_date >= cast(timezone('UTC', now()) as date)) "
            "from intermediate.int_marts_as_of"
        ).fetchone()
    except duckdb.CatalogException:  # a warehouse built before the as-of date was kept
        return False
    return bool(reaches_today and reaches_today[0])


def _fingerprint(value: str | None) -> dict:
    """A build fingerprint (orchestration.dbt.build_fingerprint: {files, vars}); {} for one recorded before vars were
    kept apart (it then compares unequal to any, which forces one full build)."""
    try:
        parsed = json.loads(value or "")
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _files_of(fingerprint: str | None) -> str | None:
    return _fingerprint(fingerprint).get("files")


def changed_vars(previous: str | None, current: str) -> tuple[str, ...]:
    """The dbt vars whose values differ between two build fingerprints with the same project files."""
    before, now = _fingerprint(previous).get("vars", {}), _fingerprint(current).get("vars", {})
    return tuple(sorted(name for name in set(before) | set(now) if before.get(name) != now.get(name)))


def models_rebuilt_for(var_names: set[str], manifest: dict) -> list[str] | None:
    """The models an incremental build rebuilds in full when these dbt vars (settings) changed: those reading
    one, and everything downstream. None when only a full build will do: a macro reads one, or it reaches a
    table the publish patches instead of replacing (orchestration.publish.PATCHED_TABLES), whose changed set of
    activities would not describe the setting's effect."""
    from orchestration.dbt import models_reading_vars
    from orchestration.publish import PATCHED_TABLES

    reached = models_reading_vars(var_names, manifest)
    if reached is None or reached & {f"model.openfit.{table}" for _schema, table in PATCHED_TABLES}:
        return None
    return sorted(node.split(".")[-1] for node in reached if node.startswith("model."))


def finish_transform(
    con: duckdb.DuckDBPyConnection,
    plan: TransformPlan,
    withheld: list | None = None,
    node_seconds: dict[str, float] | None = None,
    rebuilt_models: bool = False,
    incremental_run: bool = True,
) -> int:
    """After dbt succeeded (or failed only tests that withhold some athletes: `withheld`, see
    orchestration/withholding.py): mark the pending loads transformed, log the changed set, record the
    withheld athletes and the seconds each dbt node took (`build_nodes`: what a build cost, and where).
    `rebuilt_models`: some models were rebuilt in full for changed settings (every athlete changed);
    `incremental_run`: the incremental dbt build ran (so the int_changed_* and int_marts_athletes are current).
    When dbt did not run at all (nothing_to_transform), the loads are still marked transformed, nothing enters
    the change log, and the withheld athletes stay withheld (their data did not change).
    Returns the build seq."""
    from orchestration.withholding import record_withheld

    ensure_state(con)
    con.execute("begin")
    try:
        seq = con.execute(f"select coalesce(max(seq), 0) + 1 from {STATE_SCHEMA}.builds").fetchone()[0]
        if plan.full:  # every load now present is reflected in the tables; forget vanished ones
            con.execute(f"delete from {STATE_SCHEMA}.transformed_loads")
            loads = raw_loads(con)
        else:
            pending = [
                r[0] for r in con.execute(f"select load_id from {STATE_SCHEMA}.pending_loads").fetchall()
            ]
            loads = {load_id: schema for load_id, schema in raw_loads(con).items() if load_id in set(pending)}
        now = datetime.now(UTC)
        if loads:
            con.executemany(
                f"insert or replace into {STATE_SCHEMA}.transformed_loads values (?, ?, ?)",
                [(load_id, schema, now) for load_id, schema in loads.items()],
            )
        # no new load, or dbt did not run: nothing changed (the int_changed_* are stale)
        if not plan.full and plan.pending_loads and incremental_run:
            con.execute(
                f"insert into {STATE_SCHEMA}.changed_activities "
                "select ?, activity_id, athlete_id from intermediate.int_changed_activities",
                [seq],
            )
            con.execute(
                f"insert into {STATE_SCHEMA}.changed_metric_windows "
                "select ?, athlete_id, ts_from, ts_to from intermediate.int_changed_metric_windows",
                [seq],
            )
        if not plan.full:  # the athletes whose rows the publish rewrites in the per-athlete tables
            if rebuilt_models:
                con.execute(
                    f"insert into {STATE_SCHEMA}.changed_athlete_log values (?, ?)", [seq, EVERY_ATHLETE]
                )
            if incremental_run:
                con.execute(
                    f"insert into {STATE_SCHEMA}.changed_athlete_log "
                    "select ?, athlete_id from intermediate.int_marts_athletes",
                    [seq],
                )
        con.execute(
            f"insert into {STATE_SCHEMA}.builds values (?, ?, ?, ?, ?, ?, ?)",
            [
                seq,
                "full" if plan.full else "incremental",
                plan.reason,
                plan.fingerprint,
                plan.pending_loads,
                now,
                plan.raw_layout,
            ],
        )
        if plan.full or rebuilt_models or incremental_run:  # dbt's tests ran: their verdicts replace the old
            record_withheld(con, withheld or [])
        if node_seconds:
            con.executemany(
                f"insert into {STATE_SCHEMA}.build_nodes values (?, ?, ?)",
                [(seq, unique_id, s) for unique_id, s in node_seconds.items()],
            )
        con.execute(f"delete from {STATE_SCHEMA}.pending_loads")
        con.execute(f"delete from {STATE_SCHEMA}.transform_started")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return seq
