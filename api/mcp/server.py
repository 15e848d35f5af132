"""The OpenFit MCP server: read-only tools and resources over the published snapshot.

Every tool is annotated read-only, and is read-only in fact: it goes through the query layer (read-only
snapshot, parameterised queries) or the SQL sandbox. Failures are raised as ToolError, never returned as text.

Who is asking: over stdio the server runs as the local user, who sees every athlete (or the ones given to
`openfit mcp --athlete`). Over HTTP (`/mcp` on the API) the bearer key's scope is set per request in a
context variable by `BearerScopeASGI`; without one, tools refuse.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from api.limits import run_heavy
from api.sql_sandbox import SqlFailed, SqlRejected, run_sql
from openfit.settings import Settings, get_settings
from query import marts, reads, series
from query import models as m
from query.errors import QueryError
from query.scope import AthleteScope
from query.snapshot import Cursor, SnapshotUnavailable, reader_for

READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)

request_scope: ContextVar[AthleteScope | None] = ContextVar("openfit_mcp_scope", default=None)

INSTRUCTIONS = """\
OpenFit is one merged, de-duplicated fitness history per athlete (activities from several devices and
services, sleep, wellness, metrics) plus sports-science marts (training load, records, power curve).
Start with list_athletes, then list_activities / get_wellness / get_sleep for one athlete; for "how am I
doing today" use get_readiness and get_anomalies. Times are UTC
ISO 8601; dates are the athlete's local dates. Use correlate_metrics for "does X relate to Y" questions,
describe_schema and query_sql (one read-only SELECT) for anything the other tools do not cover.
Everything is read-only."""

IsoDate = Annotated[str | None, Field(description="ISO 8601 date (YYYY-MM-DD), inclusive; omit for no bound")]
AthleteArg = Annotated[
    str | None,
    Field(description="athlete_id from list_athletes; may be omitted if only one athlete is visible"),
]


def build_mcp_server(
    settings_provider: Callable[[], Settings] = get_settings,
    default_scope: AthleteScope | None = None,
) -> MCPServer:
    """The server. `default_scope` applies when no HTTP request set one (stdio); None = refuse."""

    def scope() -> AthleteScope:
        found = request_scope.get() or default_scope
        if found is None:
            raise ToolError("not authorised: no API key for this MCP session")
        return found

    @contextmanager
    def reading() -> Iterator[tuple[Cursor, AthleteScope]]:
        caller = scope()
        try:
            with reader_for(settings_provider().snapshot_path).cursor() as cur:
                yield cur, caller
        except QueryError as exc:
            detail = f" ({json.dumps(exc.details, default=str)})" if exc.details else ""
            raise ToolError(f"{exc.code}: {exc.message}{detail}") from exc
        except SnapshotUnavailable as exc:
            raise ToolError(f"not_built_yet: {exc}") from exc

    server = MCPServer(name="openfit", instructions=INSTRUCTIONS, version="0.1.0", log_level="WARNING")
    tool = server.tool

    @tool(annotations=READ_ONLY)
    def list_athletes() -> list[m.Athlete]:
        """List the athletes you may see: id, name, sex, birth year, home time zone, weight."""
        with reading() as (cur, caller):
            return reads.list_athletes(cur, caller)

    @tool(annotations=READ_ONLY)
    def list_activities(
        athlete_id: AthleteArg = None,
        from_date: IsoDate = None,
        to_date: IsoDate = None,
        sport: Annotated[str | None, Field(description="e.g. running, cycling, swimming")] = None,
        source: Annotated[str | None, Field(description="only activities recorded by this source")] = None,
        limit: Annotated[int, Field(ge=1, le=200)] = 20,
        cursor: Annotated[str | None, Field(description="next_cursor from the previous call")] = None,
    ) -> m.ActivityPage:
        """List merged activities, newest first, with summary numbers (duration, distance, HR, power).

        Each activity merges the recordings of several devices; primary_source says which one leads.
        Page with `cursor` = the previous result's next_cursor.
        """
        with reading() as (cur, caller):
            return reads.list_activities(
                cur,
                caller,
                athlete_id=athlete_id,
                start=reads.parse_time_bound(from_date, name="from_date"),
                end=reads.parse_time_bound(to_date, name="to_date", end=True),
                sport=sport,
                source=source,
                cursor=cursor,
                limit=limit,
            )

    @tool(annotations=READ_ONLY)
    def get_activity(activity_id: str) -> m.ActivityDetail:
        """One activity in full: merged summary, every device recording of it, laps, per-field sources."""
        with reading() as (cur, caller):
            return reads.get_activity(cur, caller, activity_id)

    @tool(annotations=READ_ONLY)
    def get_activity_issues(activity_id: str) -> m.ActivityIssues:
        """Sensor faults in one activity's recorded data: heart-rate spikes and dropouts, cadence lock (an
        optical sensor reading the step rate as heart rate), GPS jumps, power spikes and channels stuck on one
        value. Each issue says where (offsets and times), how many samples, its severity and, in `explanation`,
        what it means for the athlete. Check it before trusting an activity's max HR, power numbers, distance
        or load, and mention a high-severity issue when discussing that activity. An empty list with
        checked=true means no fault was found."""
        with reading() as (cur, caller):
            return reads.activity_issues(cur, caller, activity_id)

    @tool(annotations=READ_ONLY)
    def get_activity_streams(
        activity_id: str,
        channels: Annotated[
            list[str] | None, Field(description=f"subset of {list(reads.STREAM_CHANNELS)}; default all")
        ] = None,
        max_points: Annotated[
            int, Field(ge=2, le=2000, description="downsample to at most this many points")
        ] = 200,
    ) -> m.Streams:
        """Time series of one activity (heart rate, power, speed, cadence, altitude, position...),
        averaged into at most `max_points` buckets so it fits in context."""
        with reading() as (cur, caller):
            return reads.get_streams(cur, caller, activity_id, channels=channels, max_points=max_points)

    @tool(annotations=READ_ONLY)
    def get_training_load(
        athlete_id: AthleteArg = None, from_date: IsoDate = None, to_date: IsoDate = None
    ) -> m.MartRows:
        """Daily training load with fitness (CTL), fatigue (ATL) and form (TSB) from the load mart.
        Use the metric catalogue resource for the algorithm and its defaults."""
        with reading() as (cur, caller):
            return marts.mart_rows(
                cur,
                caller,
                "daily_training_load",
                athlete_id=athlete_id,
                start=reads.parse_date(from_date, name="from_date"),
                end=reads.parse_date(to_date, name="to_date"),
            )

    @tool(annotations=READ_ONLY)
    def get_wellness(
        athlete_id: AthleteArg = None,
        from_date: IsoDate = None,
        to_date: IsoDate = None,
        limit: Annotated[int, Field(ge=1, le=1000)] = 60,
    ) -> list[m.WellnessDay]:
        """Daily wellness, one row per athlete-day: resting HR, HRV (RMSSD), steps, weight, body fat, stress,
        sleep, each the preferred source's value with <metric>_source naming the device it came from. Every
        source's own values: compare_devices."""
        with reading() as (cur, caller):
            return reads.list_wellness(
                cur,
                caller,
                athlete_id=athlete_id,
                start=reads.parse_date(from_date, name="from_date"),
                end=reads.parse_date(to_date, name="to_date"),
                limit=limit,
            )

    @tool(annotations=READ_ONLY)
    def get_daily_summary(
        athlete_id: AthleteArg = None, from_date: IsoDate = None, to_date: IsoDate = None
    ) -> m.MartRows:
        """One row per athlete-day, aligned for cross-metric questions: training load, fitness (CTL), fatigue
        (ATL), form (TSB) and the chosen resting HR, HRV, sleep seconds and score, steps. Null = not measured."""
        with reading() as (cur, caller):
            return marts.mart_rows(
                cur,
                caller,
                "daily_athlete_summary",
                athlete_id=athlete_id,
                start=reads.parse_date(from_date, name="from_date"),
                end=reads.parse_date(to_date, name="to_date"),
            )

    @tool(annotations=READ_ONLY)
    def get_anomalies(
        athlete_id: AthleteArg = None,
        from_date: IsoDate = None,
        to_date: IsoDate = None,
        kind: Annotated[
            str | None,
            Field(
                description=(
                    "one of resting_hr_elevated, hrv_below_swc, sleep_short, acwr_high, ramp_steep, monotony_high, "
                    "illness_or_overreaching; omit for all"
                )
            ),
        ] = None,
        severity: Annotated[str | None, Field(description="moderate or high; omit for both")] = None,
    ) -> m.MartRows:
        """Warning flags per day, each against the athlete's OWN baseline: resting HR above its 28-day median,
        HRV 7-day average below its normal band, sleep short of 7 h, load spikes (ACWR > 1.5, steep fitness
        ramp, monotonous training). illness_or_overreaching means at least two of resting HR up / HRV down /
        sleep short on two or more consecutive days: the strongest reason to suggest rest. Each row has a
        severity (moderate/high), the value, threshold, baseline and an `explanation` you can paraphrase. These
        are signals, not diagnoses: say what was measured, never that the athlete is ill. No row = no flag."""
        with reading() as (cur, caller):
            return marts.anomalies(
                cur,
                caller,
                athlete_id=athlete_id,
                start=reads.parse_date(from_date, name="from_date"),
                end=reads.parse_date(to_date, name="to_date"),
                kind=kind,
                severity=severity,
            )

    @tool(annotations=READ_ONLY)
    def get_readiness(
        athlete_id: AthleteArg = None, from_date: IsoDate = None, to_date: IsoDate = None
    ) -> m.MartRows:
        """Daily readiness 0-100 (75 = the athlete's usual state) with why: each component's input, 0-100 score
        and weight: HRV (z vs 60-day baseline, 0.30), resting HR (z vs 28-day median, 0.20), sleep vs need
        (0.20), form TSB (0.15), load spike ACWR (0.15). Explain a low score through its lowest-scoring
        components. score is null when under half the weight could be measured (coverage < 0.5). OpenFit's own
        transparent score, not a device's."""
        with reading() as (cur, caller):
            return marts.mart_rows(
                cur,
                caller,
                "readiness",
                athlete_id=athlete_id,
                start=reads.parse_date(from_date, name="from_date"),
                end=reads.parse_date(to_date, name="to_date"),
            )

    @tool(annotations=READ_ONLY)
    def get_race_predictions(
        athlete_id: AthleteArg = None,
        target_distance_m: Annotated[
            float | None,
            Field(
                description="one target: 1609.344, 3000, 5000, 10000, 15000, 21097.5 or 42195; omit for all"
            ),
        ] = None,
    ) -> m.MartRows:
        """Predicted race times from the athlete's all-time best running efforts: for each source effort
        (distance, time, date) and target distance, Daniels' VDOT equivalent time (vdot_time_s) and Riegel's
        (riegel_time_s), with vdot_in_range / riegel_in_range saying whether the method was stated for it
        (VDOT: 1500 m to marathon; Riegel: 3.5 to 230 min). Prefer in-range predictions from the source
        closest to the target; the efforts come from training runs, not races, so times are conservative.
        Present them as estimates, never promises."""
        with reading() as (cur, caller):
            return marts.mart_rows(
                cur,
                caller,
                "race_predictions",
                athlete_id=athlete_id,
                filters={
                    "target_distance_m": None if target_distance_m is None else float(target_distance_m)
                },
            )

    @tool(annotations=READ_ONLY)
    def get_sleep(
        athlete_id: AthleteArg = None,
        from_date: IsoDate = None,
        to_date: IsoDate = None,
        limit: Annotated[int, Field(ge=1, le=500)] = 30,
    ) -> list[m.SleepSession]:
        """Sleep sessions (newest first): duration, stages (deep/light/REM/awake seconds), score, HR, HRV."""
        with reading() as (cur, caller):
            return reads.list_sleep(
                cur,
                caller,
                athlete_id=athlete_id,
                start=reads.parse_date(from_date, name="from_date"),
                end=reads.parse_date(to_date, name="to_date"),
                limit=limit,
            )

    @tool(annotations=READ_ONLY)
    def correlate_metrics(
        metrics: Annotated[
            list[str],
            Field(
                min_length=2,
                max_length=8,
                description=(
                    "daily metrics, e.g. ['resting_hr', 'hrv', 'sleep_score', 'training_load']; see the metric "
                    "catalogue resource; names in openfit.metrics work too"
                ),
            ),
        ],
        athlete_id: AthleteArg = None,
        from_date: IsoDate = None,
        to_date: IsoDate = None,
        normalize: Annotated[bool, Field(description="z-normalise each series")] = True,
        max_lag_days: Annotated[int, Field(ge=0, le=14)] = 3,
    ) -> m.CorrelationResult:
        """Align daily series and compute Pearson r for every pair at lags -max..+max days.
        A positive lag pairs a(day) with b(day + lag), i.e. a leads b. r is null with fewer than 3 days."""
        with reading() as (cur, caller):
            return series.correlate(
                cur,
                caller,
                metrics,
                athlete_id=athlete_id,
                start=reads.parse_date(from_date, name="from_date"),
                end=reads.parse_date(to_date, name="to_date"),
                normalize=normalize,
                max_lag_days=max_lag_days,
            )

    @tool(annotations=READ_ONLY)
    def get_personal_records(
        athlete_id: AthleteArg = None, sport: Annotated[str | None, Field(description="e.g. running")] = None
    ) -> m.MartRows:
        """Personal records (best efforts by distance or duration) with the activity they came from."""
        with reading() as (cur, caller):
            return marts.mart_rows(
                cur, caller, "personal_records", athlete_id=athlete_id, filters={"sport": sport}
            )

    @tool(annotations=READ_ONLY)
    def get_power_curve(
        athlete_id: AthleteArg = None,
        window: Annotated[
            str | None, Field(description="all_time, 90d or season_YYYY; omit for all windows")
        ] = "all_time",
        from_date: IsoDate = None,
        to_date: IsoDate = None,
    ) -> m.MartRows:
        """Mean-maximal power curve: best average power (watts) for each duration, per window, with the
        activity and date it was set. from/to filter on the date the best was set."""
        with reading() as (cur, caller):
            return marts.mart_rows(
                cur,
                caller,
                "power_curve",
                athlete_id=athlete_id,
                start=reads.parse_date(from_date, name="from_date"),
                end=reads.parse_date(to_date, name="to_date"),
                filters={"window": window},
            )

    @tool(annotations=READ_ONLY)
    def compare_devices(
        athlete_id: AthleteArg = None,
        from_date: IsoDate = None,
        to_date: IsoDate = None,
        metric: Annotated[
            str | None,
            Field(
                description=(
                    "one daily metric: resting_hr, hrv_rmssd_ms, steps, weight_kg, body_fat_pct, active_kcal, stress_avg, "
                    "sleep_s or sleep_score; omit for all"
                )
            ),
        ] = None,
    ) -> m.MartRows:
        """Where devices disagree: per day and daily metric, what each source device measured, which value was
        chosen for the athlete's daily record, and each value's deviation (absolute and relative) from the
        mean of the other sources that day."""
        with reading() as (cur, caller):
            return marts.compare_devices(
                cur,
                caller,
                athlete_id=athlete_id,
                start=reads.parse_date(from_date, name="from_date"),
                end=reads.parse_date(to_date, name="to_date"),
                metric=metric,
            )

    @tool(annotations=READ_ONLY)
    def describe_schema() -> list[m.SchemaTable]:
        """Tables and columns of the snapshot (schemas openfit, marts, meta), for writing query_sql."""
        with reading() as (cur, _):
            return reads.describe_schema(cur)

    @tool(annotations=READ_ONLY)
    def query_sql(
        sql: Annotated[
            str,
            Field(
                description="ONE SELECT (or WITH ... SELECT) in DuckDB SQL, e.g. "
                "SELECT sport, count(*) FROM openfit.activities GROUP BY 1"
            ),
        ],
        max_rows: Annotated[int, Field(ge=1, le=10_000)] = 1000,
    ) -> m.SqlResultModel:
        """Run one read-only SELECT over the snapshot (see describe_schema). No writes, no files, no
        settings; limits on time (10 s), memory (256 MB) and result size (4 MB) by default; you only see your
        own athletes' rows. Errors say why."""
        caller = scope()
        settings = settings_provider()
        try:
            # On the heavy-work threads (api/limits.py): lower CPU priority than every other key's reads.
            result = run_heavy(
                settings.api_heavy_calls_total,
                run_sql,
                settings.snapshot_path,
                sql,
                athletes=caller.as_list(),
                max_rows=max_rows,
                timeout_s=settings.api_sql_timeout_s,
                memory_limit=settings.api_sql_memory_limit,
                max_result_bytes=int(settings.api_sql_max_result_mb * (1 << 20)),
            )
        except SqlRejected as exc:
            raise ToolError(f"rejected: {exc}") from exc
        except SqlFailed as exc:
            raise ToolError(str(exc)) from exc
        except SnapshotUnavailable as exc:
            raise ToolError(f"not_built_yet: {exc}") from exc
        return m.SqlResultModel(**result.__dict__)

    @server.resource(
        "openfit://schema",
        name="schema",
        mime_type="application/json",
        description="The OpenFit snapshot schema: tables and columns with types.",
    )
    def schema_resource() -> str:
        with reading() as (cur, _):
            return json.dumps([t.model_dump(mode="json") for t in reads.describe_schema(cur)], indent=1)

    @server.resource(
        "openfit://metrics",
        name="metric-catalogue",
        mime_type="application/json",
        description="Daily metrics: units, definitions, source tables, and the algorithm defaults.",
    )
    def metrics_resource() -> str:
        settings = settings_provider()
        return json.dumps(
            {
                "daily_metrics": series.catalogue(),
                "stream_channels": list(reads.STREAM_CHANNELS),
                "algorithm_defaults": {"pmc": settings.algo_pmc, "tsb": settings.algo_tsb},
                "conventions": {"times": "ISO 8601 UTC", "dates": "athlete's local calendar date"},
            },
            indent=1,
        )

    return server


def stdio_server(athletes: list[str] | None = None) -> MCPServer:
    """The server `openfit mcp` runs: local use, every athlete unless `athletes` narrows it."""
    return build_mcp_server(
        get_settings, AthleteScope(None if not athletes else tuple(sorted(set(athletes))))
    )
