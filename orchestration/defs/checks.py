"""Data quality: Great Expectations 1.x suites run as Dagster asset checks, before publish.

Each check pulls a SMALL frame from the warehouse (aggregates computed in DuckDB: per-activity min/max HR and power,
not the 1 Hz samples), validates it with GE on pandas (an ephemeral context; GE through SQLAlchemy on DuckDB does
not work, see stack-facts), and writes GE's validation result as JSON plus a readable HTML page under
$OPENFIT_HOME/quality/<run_id>/; the page's path is attached as check metadata (visible in the Dagster UI).

Checks run in the writer pool (the warehouse is read read-only, after dbt has finished writing) and are
blocking where a failure would publish wrong data: a failed blocking check keeps the publish asset from running,
so the previous snapshot stays published.
"""

import copy
import html
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster import AssetCheckExecutionContext

from openfit.settings import SYNTHETIC_COHORT_SETTINGS, Settings, data_settings, get_settings
from orchestration.instance import WRITER_POOL
from orchestration.withholding import record_check_withheld

HR_RANGE = (25, 250)  # bpm
POWER_RANGE = (0, 2500)  # W
# Two canonical activities may share at most this much time: devices' clocks disagree by up to ~2 min, so a ride
# on a skewed bike computer can end "after" the brick run that followed it minutes later on the watch.
CLOCK_SKEW_TOLERANCE_S = 150
MAX_ROW_DROP = 0.2  # a table may shrink by at most 20 % against the published snapshot
TIMESTAMPTZ = "TIMESTAMP WITH TIME ZONE"


@dataclass(frozen=True)
class Suite:
    """One asset check: the frame to validate (SQL on the warehouse) and the expectations to run on it."""

    name: str
    asset: tuple[str, ...]
    description: str
    frame: Callable[[duckdb.DuckDBPyConnection, Settings], Any]  # -> pandas.DataFrame
    expectations: Callable[
        [float], list
    ]  # now (epoch s) -> GE expectations; built lazily (GE imports slowly)
    blocking: bool = True
    # The frame's activity_id when it holds only part of the data (the changed activities): a verdict on an
    # activity then stands until that activity is validated again (orchestration/withholding.py).
    partial_by: str | None = None


def _sql(query: str) -> Callable[[duckdb.DuckDBPyConnection, Settings], Any]:
    return lambda con, _settings: con.execute(query).df()


def _between(column: str, low: float | None, high: float | None):
    import great_expectations as gx

    return gx.expectations.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high)


def _in_set(column: str, values: list):
    import great_expectations as gx

    return gx.expectations.ExpectColumnValuesToBeInSet(column=column, value_set=values)


def _not_null(column: str):
    import great_expectations as gx

    return gx.expectations.ExpectColumnValuesToNotBeNull(column=column)


ACTIVITIES_SQL = """
select
    activity_id,
    athlete_id,
    typeof(start_time) as start_time_type,
    epoch(start_time) as start_epoch,
    epoch(end_time) as end_epoch,
    epoch(end_time) - epoch(start_time) as elapsed_s,
    avg_hr,
    max_hr,
    avg_power_w,
    -- overlap with the athlete's previous canonical activity (> 0 means two activities share time); the
    -- sessions of one multisport file are the device's own split of one event, so their overlap is not checked
    case
        when multisport_group_id is not null
            and multisport_group_id = lag(multisport_group_id) over athlete_timeline then null
        else epoch(lag(end_time) over athlete_timeline) - epoch(start_time)
    end as overlap_with_previous_s
from openfit.activities
window athlete_timeline as (partition by athlete_id order by start_time, activity_id)
"""

# Per-activity extremes computed in DuckDB: a frame of one row per activity instead of the 1 Hz samples.
SAMPLES_SQL = """
select
    s.activity_id,
    any_value(a.athlete_id) as athlete_id,
    min(s.heart_rate) as min_hr,
    max(s.heart_rate) as max_hr,
    min(s.power_w) as min_power_w,
    max(s.power_w) as max_power_w,
    typeof(min(s.ts)) as ts_type,
    epoch(max(s.ts)) as last_ts_epoch
from openfit.activity_samples s
left join openfit.activities a on a.activity_id = s.activity_id
{where}
group by s.activity_id
"""


def _changed_samples_frame(con: duckdb.DuckDBPyConnection, _settings: Settings):
    """The samples suite's frame for the activities the last transform rewrote (all after a full build): the
    samples of unchanged activities were checked when they were written, and scanning the whole history on
    every increment would make its cost grow with the history (orchestration/incremental.py)."""
    try:
        last = con.execute("select seq, kind from openfit_state.builds order by seq desc limit 1").fetchone()
    except duckdb.CatalogException:  # a warehouse built before the change log existed
        last = None
    if last is None or last[1] == "full":
        return con.execute(SAMPLES_SQL.format(where="")).df()
    changed = (
        "where s.activity_id in (select activity_id from openfit_state.changed_activities where seq = ?)"
    )
    return con.execute(SAMPLES_SQL.format(where=changed), [last[0]]).df()


SLEEP_SQL = """
select
    sleep_id,
    athlete_id,
    typeof(start_time) as start_time_type,
    epoch(start_time) as start_epoch,
    epoch(end_time) as end_epoch,
    epoch(end_time) - epoch(start_time) as duration_s
from openfit.sleep_sessions
"""

DAILY_LOAD_SQL = "select athlete_id, date, load, ctl from marts.daily_training_load"


def _synthetic_cohort_changed(snap: duckdb.DuckDBPyConnection, settings: Settings) -> bool:
    """Whether the published snapshot was built with another synthetic cohort (or with/without it) than now."""
    columns = {
        r[0]
        for r in snap.execute(
            "select column_name from information_schema.columns where "
            "table_catalog = 'snap' and table_name = 'build_info'"
        ).fetchall()
    }
    if "settings" not in columns:
        return False  # published before settings were recorded: compare as before
    published = json.loads(snap.execute("select settings from snap.meta.build_info").fetchone()[0])
    now = data_settings(settings)
    return any(published.get(name) != now[name] for name in ("synthetic_enabled", *SYNTHETIC_COHORT_SETTINGS))


def _row_counts(con: duckdb.DuckDBPyConnection, settings: Settings):
    """Rows per published table now (warehouse) and in the currently published snapshot."""
    import pandas as pd

    current = dict(
        con.execute(
            """
            select schema_name || '.' || table_name, estimated_size from duckdb_tables()
            where database_name = current_database() and schema_name in ('openfit', 'marts')
            """
        ).fetchall()
    )
    for table in current:  # estimated_size is approximate: count exactly (cheap in DuckDB)
        current[table] = con.execute(f"select count(*) from {table}").fetchone()[0]
    previous: dict[str, int] = {}
    if settings.snapshot_path.exists():
        snap = duckdb.connect(":memory:")
        try:
            literal = "'" + str(settings.snapshot_path).replace("'", "''") + "'"
            snap.execute(f"attach {literal} as snap (read_only)")
            previous = dict(snap.execute("select table_name, row_count from snap.meta.table_rows").fetchall())
            if _synthetic_cohort_changed(snap, settings):
                # A deliberate change (another cohort, or none) may shrink tables by any amount: not a loss.
                previous = {}
        finally:
            snap.close()
    rows = [
        {
            "table_name": table,
            "previous_rows": previous.get(table),
            "current_rows": rows,
            "ratio": rows / previous[table] if previous.get(table) else None,
        }
        for table, rows in sorted(current.items())
    ]
    return pd.DataFrame(rows, columns=["table_name", "previous_rows", "current_rows", "ratio"])


SUITES = [
    Suite(
        name="activities_quality",
        asset=("openfit", "activities"),
        description=(
            f"HR {HR_RANGE[0]}-{HR_RANGE[1]} bpm, power {POWER_RANGE[0]}-{POWER_RANGE[1]} W, timestamps UTC and "
            "not in the future, end after start, no overlapping canonical activities per athlete (beyond clock skew)."
        ),
        frame=_sql(ACTIVITIES_SQL),
        expectations=lambda now: [
            _between("avg_hr", *HR_RANGE),
            _between("max_hr", *HR_RANGE),
            _between("avg_power_w", *POWER_RANGE),
            _in_set("start_time_type", [TIMESTAMPTZ]),
            _between("end_epoch", None, now),
            _between("elapsed_s", 0, None),
            _between("overlap_with_previous_s", None, CLOCK_SKEW_TOLERANCE_S),
            _not_null("athlete_id"),
        ],
    ),
    Suite(
        name="activity_samples_quality",
        asset=("openfit", "activity_samples"),
        description="Per-activity min/max HR and power within range; sample times UTC and not in the future.",
        frame=_changed_samples_frame,
        partial_by="activity_id",
        expectations=lambda now: [
            _between("min_hr", *HR_RANGE),
            _between("max_hr", *HR_RANGE),
            _between("min_power_w", *POWER_RANGE),
            _between("max_power_w", *POWER_RANGE),
            _in_set("ts_type", [TIMESTAMPTZ]),
            _between("last_ts_epoch", None, now),
        ],
    ),
    Suite(
        name="sleep_sessions_quality",
        asset=("openfit", "sleep_sessions"),
        description="Sleep ends after it starts, timestamps UTC and not in the future.",
        frame=_sql(SLEEP_SQL),
        expectations=lambda now: [
            _between("duration_s", 1, None),
            _in_set("start_time_type", [TIMESTAMPTZ]),
            _between("end_epoch", None, now),
        ],
    ),
    Suite(
        name="daily_training_load_quality",
        asset=("marts", "daily_training_load"),
        description="One row per athlete-day.",
        frame=_sql(DAILY_LOAD_SQL),
        expectations=lambda now: [
            __import__("great_expectations").expectations.ExpectCompoundColumnsToBeUnique(
                column_list=["athlete_id", "date"]
            ),
            _not_null("athlete_id"),
            _not_null("date"),
        ],
    ),
    Suite(
        name="row_counts_vs_snapshot",
        asset=("openfit", "activities"),
        description=(
            f"No OpenFit or marts table lost more than {MAX_ROW_DROP:.0%} of its rows against the published snapshot."
        ),
        frame=_row_counts,
        expectations=lambda now: [_between("ratio", 1 - MAX_ROW_DROP, None)],
    ),
]


@dataclass(frozen=True)
class SuiteOutcome:
    success: bool
    rows: int
    failed: list[str]  # "<expectation> on <column>: <unexpected_count or observed value>"
    json_path: Path
    html_path: Path
    statistics: dict
    # (athlete_id, subject) of every failing row when each failed expectation's rows name their athlete (the
    # frame has athlete_id); None when a failure concerns no athlete (then it blocks the whole publish)
    failing_rows: list[tuple[str, str | None]] | None = None
    examined: list[str] | None = None  # the subjects validated, for a partial frame (Suite.partial_by)


def _failing_rows(document: dict, subject: str | None) -> list[tuple[str, str | None]] | None:
    failing: list[tuple[str, str | None]] = []
    for item in document["results"]:
        if item["success"]:
            continue
        rows = item.get("result", {}).get("unexpected_index_list") or []
        if not rows or any(not isinstance(row, dict) or row.get("athlete_id") is None for row in rows):
            return None
        failing += [(row["athlete_id"], row.get(subject) if subject else None) for row in rows]
    return failing


def validate_frame(
    suite_name: str, frame, expectations: list, out_dir: Path, subject: str | None = None
) -> SuiteOutcome:
    """Validate a pandas frame with GE 1.x (ephemeral context) and write the result as JSON and HTML. When the
    frame has athlete_id, every unexpected row is reported with it (and with `subject`), so a failure can
    withhold only those athletes."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas(f"{suite_name}_source")
        .add_dataframe_asset(suite_name)
        .add_batch_definition_whole_dataframe("whole_frame")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    # copies: GE refuses an expectation object that already belongs to another suite
    suite = context.suites.add(
        gx.ExpectationSuite(name=suite_name, expectations=[copy.copy(e) for e in expectations])
    )
    attributable = "athlete_id" in frame.columns
    index_columns = ["athlete_id"] + ([subject] if subject else [])
    result = batch.validate(
        suite,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": index_columns}
        if attributable
        else "SUMMARY",
    )
    document = result.to_json_dict()
    failed = []
    for item in document["results"]:
        if not item["success"]:
            config = item["expectation_config"]
            where = config["kwargs"].get("column") or config["kwargs"].get("column_list")
            res = item.get("result", {})
            detail = res.get("unexpected_count", res.get("observed_value"))
            failed.append(f"{config['type']} on {where}: {detail}")
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / f"{suite_name}.json"
    html_path = out_dir / f"{suite_name}.html"
    json_path.write_text(json.dumps(document, indent=2, default=str))
    html_path.write_text(_render_html(suite_name, len(frame), document))
    return SuiteOutcome(
        bool(result.success),
        len(frame),
        failed,
        json_path,
        html_path,
        document["statistics"],
        _failing_rows(document, subject) if attributable else None,
        [str(v) for v in frame[subject].unique()] if subject else None,
    )


def _render_html(suite_name: str, rows: int, document: dict) -> str:
    """A self-contained page: one row per expectation with its outcome and the unexpected values GE reported."""
    lines = []
    for item in document["results"]:
        config, res = item["expectation_config"], item.get("result", {})
        kwargs = {k: v for k, v in config["kwargs"].items() if k != "batch_id"}
        detail = {
            k: res[k]
            for k in ("observed_value", "unexpected_count", "unexpected_percent", "partial_unexpected_list")
            if k in res
        }
        colour = "#d4f7d4" if item["success"] else "#f7d4d4"
        lines.append(
            f"<tr style='background:{colour}'><td>{'pass' if item['success'] else 'FAIL'}</td>"
            f"<td>{html.escape(config['type'])}</td><td>{html.escape(json.dumps(kwargs, default=str))}</td>"
            f"<td>{html.escape(json.dumps(detail, default=str))}</td></tr>"
        )
    stats = document["statistics"]
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(suite_name)}</title></head><body>"
        f"<h1>{html.escape(suite_name)}: {'passed' if document['success'] else 'FAILED'}</h1>"
        f"<p>{rows} rows validated; {stats['successful_expectations']} of {stats['evaluated_expectations']} "
        "expectations met (Great Expectations validation result; JSON alongside).</p>"
        "<table border='1' cellpadding='4'><tr><th>outcome</th><th>expectation</th><th>arguments</th>"
        f"<th>result</th></tr>{''.join(lines)}</table></body></html>"
    )


def run_suite(suite: Suite, settings: Settings, run_id: str, out_dir: Path | None = None) -> SuiteOutcome:
    """Pull the suite's frame from the warehouse (read-only) and validate it; reports go to out_dir (default
    $OPENFIT_HOME/quality/<run_id>)."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        frame = suite.frame(con, settings)
    finally:
        con.close()
    now = datetime.now(UTC).timestamp()
    out_dir = out_dir or settings.home_dir / "quality" / run_id
    return validate_frame(suite.name, frame, suite.expectations(now), out_dir, subject=suite.partial_by)


def _build_check(suite: Suite) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(suite.asset)),
        name=suite.name,
        description=suite.description,
        blocking=suite.blocking,
        pool=WRITER_POOL,
    )
    def _check(context: AssetCheckExecutionContext) -> dg.AssetCheckResult:
        started = time.perf_counter()
        settings = get_settings()
        outcome = run_suite(suite, settings, context.run.run_id)
        withheld = sorted({athlete for athlete, _ in outcome.failing_rows or []})
        if (
            outcome.failing_rows is not None
        ):  # attributable: this check's verdicts per athlete, for the publish
            with duckdb.connect(str(settings.warehouse_path)) as con:
                record_check_withheld(con, f"gx:{suite.name}", outcome.failing_rows, outcome.examined)
        # A failure that names its athletes withholds them (WARN does not block the publish); any other blocks.
        severity = dg.AssetCheckSeverity.WARN if withheld else dg.AssetCheckSeverity.ERROR
        description = "; ".join(outcome.failed) or "all expectations met"
        if withheld:
            description += f"; withheld from the publish: {', '.join(withheld)}"
        return dg.AssetCheckResult(
            passed=outcome.success,
            severity=severity,
            description=description,
            metadata={
                "withheld_athletes": dg.MetadataValue.json(withheld),
                "report": dg.MetadataValue.path(str(outcome.html_path)),
                "result_json": dg.MetadataValue.path(str(outcome.json_path)),
                "rows_validated": outcome.rows,
                "failed_expectations": dg.MetadataValue.json(outcome.failed),
                "statistics": dg.MetadataValue.json(outcome.statistics),
                "seconds": round(time.perf_counter() - started, 2),
            },
        )

    return _check


def build_quality_checks() -> list[dg.AssetChecksDefinition]:
    """The GE asset checks; add them to the Definitions (asset_checks=...)."""
    return [_build_check(suite) for suite in SUITES]
