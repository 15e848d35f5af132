"""The read functions: every query the API, the MCP server and the dashboards run over the snapshot.

Each function takes a `Cursor` (from `SnapshotReader.cursor()`) and the caller's `AthleteScope`, binds every
value as a parameter, and returns typed models. Athlete ids are compared as text so the layer does not care
whether the contract types them as VARCHAR or INTEGER. Rows of athletes outside the scope behave exactly
like rows that do not exist (NotFound), so a key cannot probe for other athletes' ids.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from query import models as m
from query.dates import MAX_DATE, MIN_DATE, iso_date, iso_time_bound
from query.errors import InvalidRequest, NotFound
from query.filters import athlete_clause, check_limit, check_range, require_table, scope_clause
from query.scope import AthleteScope
from query.snapshot import Cursor
from query.values import iso_utc, iso_utc_sql, json_safe

MAX_STREAM_POINTS = 10_000
STREAM_CHANNELS = (
    "heart_rate",
    "power_w",
    "speed_mps",
    "cadence",
    "altitude_m",
    "lat",
    "lon",
    "distance_m",
    "temperature_c",
)
OPENFIT_TABLES = (
    "athletes",
    "athlete_thresholds",
    "devices",
    "activity_recordings",
    "activities",
    "activity_samples",
    "laps",
    "sleep_sessions",
    "sleep_stages",
    "wellness_daily",
    "wellness_daily_by_source",
    "metrics",
)

ACTIVITY_COLUMNS = list(m.ActivitySummary.model_fields)
RECORDING_COLUMNS = list(m.Recording.model_fields)
SLEEP_COLUMNS = list(m.SleepSession.model_fields)
WELLNESS_COLUMNS = list(m.WellnessDay.model_fields)
WELLNESS_SOURCE_COLUMNS = list(m.WellnessSourceDay.model_fields)
FIELD_SOURCE_COLUMNS = [f"{field}_source" for field in m.MERGED_FIELDS]
TEXT_IDS = {
    "activity_id",
    "athlete_id",
    "recording_id",
    "sleep_id",
    "device_id",
    "primary_device_id",
    "primary_recording_id",
    "external_id",
}


# ---------------------------------------------------------------------------------------------- helpers


def _select_list(cur: Cursor, table: str, wanted: list[str], alias: str = "t") -> str:
    """Columns of `wanted` that exist (ids cast to text); missing ones come back NULL, so a contract that
    lands with a column fewer does not break every endpoint."""
    present = set(cur.columns("openfit", table))
    parts = []
    for col in wanted:
        if col not in present:
            parts.append(f'NULL AS "{col}"')
        elif col in TEXT_IDS:
            parts.append(f'CAST({alias}."{col}" AS VARCHAR) AS "{col}"')
        else:
            parts.append(f'{alias}."{col}"')
    return ", ".join(parts)


def _nulls_last(value: Any) -> tuple[bool, Any]:
    """A sort key that orders like SQL's ascending ORDER BY (NULLs last). Strings compare by code point,
    which is the order of DuckDB's default binary collation on UTF-8."""
    return (False, value) if value is not None else (True, 0)


def parse_time_bound(value: str | None, *, name: str, end: bool = False) -> datetime | None:
    """ISO 8601 date or datetime -> aware UTC datetime (query/dates.py). A bare date as an upper bound
    includes that day."""
    if value is None or value == "":
        return None
    try:
        return iso_time_bound(value, end=end)
    except ValueError as exc:
        raise InvalidRequest(f"{name} {exc}", {"parameter": name, "value": value[:64]}) from None


def parse_date(value: str | None, *, name: str) -> date | None:
    """A whole ISO 8601 date (query/dates.py)."""
    if value is None or value == "":
        return None
    try:
        return iso_date(value)
    except ValueError as exc:
        raise InvalidRequest(f"{name} {exc}", {"parameter": name, "value": value[:64]}) from None


def encode_cursor(start_time: datetime, activity_id: str) -> str:
    raw = json.dumps([iso_utc(start_time), activity_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        start, activity_id = json.loads(raw)
        parsed = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        if parsed.tzinfo is None or not isinstance(activity_id, str):
            raise ValueError("cursor fields")
        if not MIN_DATE <= parsed.date() <= MAX_DATE:
            raise ValueError("cursor time out of range")
        return parsed, activity_id
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise InvalidRequest("cursor is not valid; pass next_cursor from a previous page unchanged") from exc


# ---------------------------------------------------------------------------------------------- athletes


def list_athletes(cur: Cursor, scope: AthleteScope) -> list[m.Athlete]:
    require_table(cur, "openfit", "athletes")
    where, params = scope_clause(scope)
    cols = _select_list(cur, "athletes", list(m.Athlete.model_fields))
    rows = cur.rows(f"SELECT {cols} FROM openfit.athletes t WHERE {where} ORDER BY athlete_id", params)
    return [m.Athlete(**r) for r in rows]


def resolve_athlete(cur: Cursor, scope: AthleteScope, athlete_id: str | None) -> str:
    """The athlete a single-athlete request is about: the given one, or the only one the scope sees."""
    if athlete_id is not None:
        if not scope.allows(athlete_id):
            raise NotFound(f"athlete {athlete_id!r} not found")
        where, params = athlete_clause(scope, athlete_id)
        if cur.one(f"SELECT 1 FROM openfit.athletes WHERE {where}", params) is None:
            raise NotFound(f"athlete {athlete_id!r} not found")
        return str(athlete_id)
    athletes = list_athletes(cur, scope)
    if len(athletes) == 1:
        return athletes[0].athlete_id
    if not athletes:
        raise NotFound("no athletes visible to this key")
    raise InvalidRequest(
        "this key sees several athletes: pass athlete_id",
        {"athlete_ids": [a.athlete_id for a in athletes][:50]},
    )


# ---------------------------------------------------------------------------------------------- sources


def list_sources(cur: Cursor, scope: AthleteScope) -> list[m.SourceStatus]:
    """Per source: rows it contributed (for the caller's athletes) and the newest load or record time."""
    require_table(cur, "openfit", "activity_recordings")
    where, params = scope_clause(scope)
    parts, all_params = [], []
    for table in ("activity_recordings", "sleep_sessions", "wellness_daily_by_source", "metrics"):
        if not cur.has_table("openfit", table):
            continue
        columns = cur.columns("openfit", table)
        if "source" not in columns:
            continue
        # The same "newest" column the publisher uses for meta.source_freshness.
        time_col = next((c for c in ("loaded_at", "end_time", "ts", "date") if c in columns), None)
        newest = f'max("{time_col}")::TIMESTAMPTZ' if time_col else "NULL::TIMESTAMPTZ"
        parts.append(
            f"SELECT source, count(*) AS n, {newest} AS newest FROM openfit.{table} "
            f"WHERE {where} GROUP BY source"
        )
        all_params += params
    rows = cur.rows(
        f"SELECT CAST(source AS VARCHAR) AS source, sum(n)::BIGINT AS rows, max(newest) AS last_loaded_at "
        f"FROM ({' UNION ALL '.join(parts)}) WHERE source IS NOT NULL GROUP BY 1 ORDER BY 1",
        all_params,
    )
    built = _built_at(cur) or datetime.now(UTC)
    result = []
    for r in rows:
        last = r["last_loaded_at"]
        status = "unknown" if last is None else "fresh" if built - last <= timedelta(hours=48) else "stale"
        result.append(m.SourceStatus(source=r["source"], rows=r["rows"], last_loaded_at=last, status=status))
    return result


# ---------------------------------------------------------------------------------------------- activities


def list_activities(
    cur: Cursor,
    scope: AthleteScope,
    *,
    athlete_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    sport: str | None = None,
    source: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> m.ActivityPage:
    """Newest first; keyset pagination on (start_time, activity_id), stable across snapshot swaps."""
    require_table(cur, "openfit", "activities")
    check_limit(limit)
    check_range(start, end)
    where, params = athlete_clause(scope, athlete_id)
    if start is not None:
        where += " AND start_time >= ?"
        params.append(start)
    if end is not None:
        where += " AND start_time < ?"
        params.append(end)
    if sport:
        where += " AND lower(sport) = lower(?)"
        params.append(sport)
    if source:
        # Any recording of the activity came from that source (not only the primary one).
        where += (
            " AND (primary_source = ? OR EXISTS (SELECT 1 FROM openfit.activity_recordings r "
            "WHERE r.activity_id = t.activity_id AND r.source = ?))"
        )
        params += [source, source]
    if cursor:
        after_time, after_id = decode_cursor(cursor)
        where += " AND (start_time < ? OR (start_time = ? AND CAST(activity_id AS VARCHAR) < ?))"
        params += [after_time, after_time, after_id]
    cols = _select_list(cur, "activities", ACTIVITY_COLUMNS)
    rows = cur.rows(
        f"SELECT {cols} FROM openfit.activities t WHERE {where} "
        "ORDER BY start_time DESC, CAST(activity_id AS VARCHAR) DESC LIMIT ?",
        [*params, limit + 1],
    )
    items = [m.ActivitySummary(**r) for r in rows[:limit]]
    next_cursor = encode_cursor(items[-1].start_time, items[-1].activity_id) if len(rows) > limit else None
    return m.ActivityPage(items=items, next_cursor=next_cursor)


def _activity_row(cur: Cursor, scope: AthleteScope, activity_id: str, extra: list[str] | None = None) -> dict:
    require_table(cur, "openfit", "activities")
    where, params = scope_clause(scope)
    cols = _select_list(cur, "activities", ACTIVITY_COLUMNS + (extra or []))
    row = cur.one(
        f"SELECT {cols} FROM openfit.activities t WHERE activity_id = ? AND {where}",
        [str(activity_id), *params],
    )
    if row is None:
        raise NotFound(f"activity {activity_id!r} not found", {"activity_id": str(activity_id)})
    return row


def get_activity(cur: Cursor, scope: AthleteScope, activity_id: str) -> m.ActivityDetail:
    row = _activity_row(cur, scope, activity_id, extra=FIELD_SOURCE_COLUMNS)
    # The few recordings and laps of one activity are sorted here, not by ORDER BY: DuckDB's sort costs about
    # half a millisecond to set up, more than the rest of each query (same order: ascending, NULLs last).
    recordings: list[m.Recording] = []
    if cur.has_table("openfit", "activity_recordings"):
        cols = _select_list(cur, "activity_recordings", RECORDING_COLUMNS, alias="r")
        found = cur.rows(
            f"SELECT {cols} FROM openfit.activity_recordings r WHERE r.activity_id = ?", [str(activity_id)]
        )
        found.sort(key=lambda r: (_nulls_last(r["start_time"]), _nulls_last(r["recording_id"])))
        recordings = [m.Recording(**r) for r in found]
    laps: list[m.Lap] = []
    if cur.has_table("openfit", "laps"):
        cols = _select_list(cur, "laps", list(m.Lap.model_fields), alias="l")
        found = cur.rows(
            f"SELECT {cols} FROM openfit.laps l WHERE activity_id = ? "
            "AND recording_id IS NOT DISTINCT FROM ?",
            [str(activity_id), row["primary_recording_id"]],
        )
        found.sort(key=lambda r: _nulls_last(r["lap_index"]))
        laps = [m.Lap(**r) for r in found]
    return m.ActivityDetail(**row, recordings=recordings, laps=laps, field_sources=_field_sources(cur, row))


ISSUE_COLUMNS = list(m.ActivityDataIssue.model_fields)


def activity_issues(cur: Cursor, scope: AthleteScope, activity_id: str) -> m.ActivityIssues:
    """The sensor faults found in one activity's samples (marts.activity_data_issues), in order of start time.
    An activity the caller may not see is NotFound; a snapshot without the mart answers checked=false."""
    row = _activity_row(cur, scope, activity_id)
    if not cur.has_table("marts", "activity_data_issues"):
        return m.ActivityIssues(
            activity_id=row["activity_id"], athlete_id=row["athlete_id"], checked=False, issues=[]
        )
    columns = ", ".join(f'"{c}"' for c in ISSUE_COLUMNS)
    rows = cur.rows(
        f"SELECT {columns} FROM marts.activity_data_issues WHERE activity_id = ? ORDER BY issue_index",
        [str(activity_id)],
    )
    return m.ActivityIssues(
        activity_id=row["activity_id"],
        athlete_id=row["athlete_id"],
        checked=True,
        issues=[m.ActivityDataIssue(**r) for r in rows],
    )


def _field_sources(cur: Cursor, row: dict) -> dict[str, str] | None:
    """Per-field provenance from openfit.activities.<field>_source (null when the snapshot predates it)."""
    if not set(FIELD_SOURCE_COLUMNS) & set(cur.columns("openfit", "activities")):
        return None
    return {
        field: row[f"{field}_source"] for field in m.MERGED_FIELDS if row.get(f"{field}_source") is not None
    }


def get_streams(
    cur: Cursor,
    scope: AthleteScope,
    activity_id: str,
    *,
    channels: list[str] | None = None,
    max_points: int | None = 1000,
    recording_id: str | None = None,
) -> m.Streams:
    """Samples of one recording (the primary one by default), optionally bucket-averaged to `max_points`."""
    row = _activity_row(cur, scope, activity_id)
    require_table(cur, "openfit", "activity_samples")
    wanted = list(channels) if channels else list(STREAM_CHANNELS)
    unknown = [c for c in wanted if c not in STREAM_CHANNELS]
    if unknown:
        raise InvalidRequest(f"unknown channel(s): {', '.join(unknown)}", {"known": list(STREAM_CHANNELS)})
    if max_points is not None and not 2 <= max_points <= MAX_STREAM_POINTS:
        raise InvalidRequest(
            f"max_points must be between 2 and {MAX_STREAM_POINTS}", {"max_points": max_points}
        )
    present = set(cur.columns("openfit", "activity_samples"))
    wanted = [c for c in wanted if c in present]
    recording = recording_id if recording_id is not None else row["primary_recording_id"]
    cap = max_points or MAX_STREAM_POINTS * 1000
    # One scan: number the samples by time; with more than `cap` of them, average equal-count buckets
    # (a point's time is its bucket's first sample), else every sample is its own bucket.
    # Times are formatted by DuckDB (iso_utc_sql) and rows come back as tuples, transposed here: thousands of
    # timestamps converted one by one through pytz, and a dict per row, cost more than the query.
    select = "".join(f', avg("{c}") AS "{c}"' for c in wanted)
    channel_sql = "".join(f', "{c}"' for c in wanted)
    rows = cur.tuples(
        "WITH s AS (SELECT *, row_number() OVER (ORDER BY ts) - 1 AS rn, count(*) OVER () AS n "
        "FROM openfit.activity_samples WHERE activity_id = ? AND recording_id IS NOT DISTINCT FROM ?), "
        f"b AS (SELECT min(ts) AS t, any_value(n) AS n{select} FROM s "
        "GROUP BY CASE WHEN n <= ? THEN rn ELSE rn * ? // n END) "
        f"SELECT {iso_utc_sql('t')} AS time, n{channel_sql} FROM b ORDER BY t",
        [str(activity_id), recording, cap, cap],
    )
    total = rows[0][1] if rows else 0
    if recording_id is not None and total == 0:
        raise NotFound(f"recording {recording_id!r} has no samples in activity {activity_id!r}")
    transposed = list(zip(*rows, strict=True)) if rows else [()] * (2 + len(wanted))
    columns: dict[str, list[Any]] = {"time": list(transposed[0])}
    for c, values in zip(wanted, transposed[2:], strict=True):
        columns[c] = [json_safe(v) for v in values]
    return m.Streams(
        activity_id=str(activity_id),
        recording_id=recording,
        points=len(rows),
        source_points=total,
        channels=columns,
    )


_FILE_RECORDING = re.compile(r"^files:([0-9a-f]{64})(?::|$)")


def blob_sha_of_recording(recording_id: str | None, stored_sha: str | None = None) -> str | None:
    """The blob holding a recording's original file: a *sha256 column if the contract has one, else the
    file importer's recording id convention `files:<sha256>:<session index>`."""
    if stored_sha:
        return str(stored_sha)
    match = _FILE_RECORDING.match(recording_id or "")
    return match.group(1) if match else None


def original_blob_sha(cur: Cursor, scope: AthleteScope, activity_id: str) -> str:
    """The sha256 of the stored original file of an activity's primary recording (NotFound if none)."""
    row = _activity_row(cur, scope, activity_id)
    sha_columns = [c for c in cur.columns("openfit", "activity_recordings") if c.endswith("sha256")]
    stored = None
    if sha_columns:
        found = cur.one(
            f'SELECT "{sha_columns[0]}" AS sha FROM openfit.activity_recordings WHERE recording_id = ?',
            [row["primary_recording_id"]],
        )
        stored = found["sha"] if found else None
    sha = blob_sha_of_recording(row["primary_recording_id"], stored)
    if sha is None:
        raise NotFound(
            f"activity {activity_id!r} has no stored original file", {"activity_id": str(activity_id)}
        )
    return sha


# ---------------------------------------------------------------------------------------------- sleep, wellness


def list_sleep(
    cur: Cursor,
    scope: AthleteScope,
    *,
    athlete_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
    source: str | None = None,
    limit: int = 100,
) -> list[m.SleepSession]:
    """Sleep sessions by local date (inclusive range), newest first."""
    require_table(cur, "openfit", "sleep_sessions")
    check_limit(limit, 1000)
    check_range(start, end)
    where, params = athlete_clause(scope, athlete_id)
    if start is not None:
        where += " AND local_date >= ?"
        params.append(start)
    if end is not None:
        where += " AND local_date <= ?"
        params.append(end)
    if source:
        where += " AND source = ?"
        params.append(source)
    cols = _select_list(cur, "sleep_sessions", SLEEP_COLUMNS)
    rows = cur.rows(
        f"SELECT {cols} FROM openfit.sleep_sessions t WHERE {where} ORDER BY start_time DESC, sleep_id LIMIT ?",
        [*params, limit],
    )
    return [m.SleepSession(**r) for r in rows]


def get_sleep(cur: Cursor, scope: AthleteScope, sleep_id: str) -> m.SleepDetail:
    require_table(cur, "openfit", "sleep_sessions")
    where, params = scope_clause(scope)
    cols = _select_list(cur, "sleep_sessions", SLEEP_COLUMNS)
    row = cur.one(
        f"SELECT {cols} FROM openfit.sleep_sessions t WHERE CAST(sleep_id AS VARCHAR) = ? AND {where}",
        [str(sleep_id), *params],
    )
    if row is None:
        raise NotFound(f"sleep session {sleep_id!r} not found", {"sleep_id": str(sleep_id)})
    stages = []
    if cur.has_table("openfit", "sleep_stages"):
        stages = [
            m.SleepStage(**r)
            for r in cur.rows(
                "SELECT stage, start_time, end_time, duration_s FROM openfit.sleep_stages "
                "WHERE CAST(sleep_id AS VARCHAR) = ? ORDER BY start_time",
                [str(sleep_id)],
            )
        ]
    return m.SleepDetail(**row, stages=stages)


def _wellness_where(
    scope: AthleteScope, athlete_id: str | None, start: date | None, end: date | None
) -> tuple[str, list]:
    check_range(start, end)
    where, params = athlete_clause(scope, athlete_id)
    if start is not None:
        where += ' AND "date" >= ?'
        params.append(start)
    if end is not None:
        where += ' AND "date" <= ?'
        params.append(end)
    return where, params


def list_wellness(
    cur: Cursor,
    scope: AthleteScope,
    *,
    athlete_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = 366,
) -> list[m.WellnessDay]:
    """Daily wellness, one row per athlete and date: each metric's chosen value and its source; newest first."""
    require_table(cur, "openfit", "wellness_daily")
    check_limit(limit, 5000)
    where, params = _wellness_where(scope, athlete_id, start, end)
    cols = _select_list(cur, "wellness_daily", WELLNESS_COLUMNS)
    rows = cur.rows(
        f'SELECT {cols} FROM openfit.wellness_daily t WHERE {where} ORDER BY "date" DESC, athlete_id LIMIT ?',
        [*params, limit],
    )
    return [m.WellnessDay(**r) for r in rows]


def list_wellness_by_source(
    cur: Cursor,
    scope: AthleteScope,
    *,
    athlete_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
    source: str | None = None,
    limit: int = 366,
) -> list[m.WellnessSourceDay]:
    """Every source's daily wellness values (one row per athlete, date and source device), newest first."""
    require_table(cur, "openfit", "wellness_daily_by_source")
    check_limit(limit, 5000)
    where, params = _wellness_where(scope, athlete_id, start, end)
    if source:
        where += " AND source = ?"
        params.append(source)
    cols = _select_list(cur, "wellness_daily_by_source", WELLNESS_SOURCE_COLUMNS)
    rows = cur.rows(
        f"SELECT {cols} FROM openfit.wellness_daily_by_source t WHERE {where} "
        'ORDER BY "date" DESC, athlete_id, source, device_id LIMIT ?',
        [*params, limit],
    )
    return [m.WellnessSourceDay(**r) for r in rows]


# ---------------------------------------------------------------------------------------------- health


def _built_at(cur: Cursor) -> datetime | None:
    if not cur.has_table("meta", "build_info"):
        return None
    row = cur.one("SELECT max(built_at)::TIMESTAMPTZ AS t FROM meta.build_info")
    return row["t"] if row else None


def health(cur: Cursor) -> m.Health:
    build = None
    if cur.has_table("meta", "build_info"):
        # snapshots published before settings were recorded have no settings_hash column
        settings_hash = (
            "CAST(settings_hash AS VARCHAR)"
            if "settings_hash" in cur.columns("meta", "build_info")
            else "NULL"
        )
        build = cur.one(
            "SELECT built_at::TIMESTAMPTZ AS built_at, CAST(run_id AS VARCHAR) AS run_id, "
            f"CAST(status AS VARCHAR) AS status, {settings_hash} AS settings_hash "
            "FROM meta.build_info ORDER BY built_at DESC LIMIT 1"
        )
    counts = []
    for table in OPENFIT_TABLES:
        if cur.has_table("openfit", table):
            counts.append(
                m.TableCount(
                    table=f"openfit.{table}",
                    rows=cast(dict, cur.one(f"SELECT count(*) AS n FROM openfit.{table}"))["n"],
                )
            )
    built_at = build["built_at"] if build else None
    status_text = build["status"] if build else None
    ok = status_text is None or status_text.lower() in {"ok", "success", "succeeded", "published"}
    return m.Health(
        status="ok" if ok else "degraded",
        snapshot_present=True,
        built_at=built_at,
        snapshot_age_s=round((datetime.now(UTC) - built_at).total_seconds(), 1) if built_at else None,
        build_status=status_text,
        run_id=build["run_id"] if build else None,
        settings_hash=build["settings_hash"] if build else None,
        row_counts=counts,
    )


def build_settings(cur: Cursor) -> dict | None:
    """The data-shaping settings the published snapshot was built with (meta.build_info.settings), or None."""
    if "settings" not in cur.columns("meta", "build_info"):
        return None
    found = cur.one("SELECT CAST(settings AS VARCHAR) AS settings FROM meta.build_info LIMIT 1")
    return json.loads(found["settings"]) if found and found["settings"] else None


# ---------------------------------------------------------------------------------------------- schema


def describe_schema(cur: Cursor) -> list[m.SchemaTable]:
    rows = cur.rows(
        "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = 'snap' AND schema_name IN ('openfit', 'marts', 'meta') "
        "ORDER BY schema_name, table_name, column_index"
    )
    tables: dict[tuple[str, str], list[m.SchemaColumn]] = {}
    for r in rows:
        tables.setdefault((r["schema_name"], r["table_name"]), []).append(
            m.SchemaColumn(name=r["column_name"], type=r["data_type"])
        )
    return [m.SchemaTable(schema_name=s, table=t, columns=cols) for (s, t), cols in tables.items()]
