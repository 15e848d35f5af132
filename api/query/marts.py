"""Reads of the science marts (built by dbt with analytics/) and simple activity trends.

The marts' columns are owned by the transform layer, so rows come back as they are stored (JSON-safe), filtered
by athlete and date. A mart that has not been built yet is a NotBuiltYet (HTTP 503), not an empty answer.
"""

from __future__ import annotations

from datetime import date

from api.keys import AthleteScope
from api.query import models as m
from api.query.errors import InvalidRequest
from api.query.reads import _athlete_clause, _check_limit, _check_range, _require, resolve_athlete
from api.query.snapshot import Cursor
from api.query.values import json_safe

MARTS = {
    "training-load": "daily_training_load",
    "personal-records": "personal_records",
    "power-curve": "power_curve",
    "pace-curve": "pace_curve",
    "cross-device": "cross_device_daily",
    "fitness-estimates": "fitness_estimates",
    "activity-load": "activity_load",
    "daily-summary": "daily_athlete_summary",
}
_DATE_COLUMNS = ("date", "local_date", "day", "achieved_on", "start_time")
_ORDER_HINTS = ("date", "local_date", "day", "start_time", "duration_s", "achieved_on")
# Curves and records read best in their own order (by window, then duration or distance).
_TABLE_ORDER = {
    "power_curve": ("athlete_id", "window", "duration_s"),
    "pace_curve": ("athlete_id", "window", "distance_m"),
    "personal_records": ("athlete_id", "sport", "record_type", "date"),
}


def mart_rows(
    cur: Cursor,
    scope: AthleteScope,
    table: str,
    *,
    athlete_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
    filters: dict[str, str] | None = None,
    limit: int = 1000,
) -> m.MartRows:
    """Rows of marts.<table> visible to the scope, optionally for one athlete, a date range and equal-filters."""
    _require(cur, "marts", table)
    _check_limit(limit, 10_000)
    _check_range(start, end)
    columns = cur.columns("marts", table)
    if "athlete_id" in columns:
        where, params = _athlete_clause(scope, athlete_id)
    elif scope.is_admin:
        where, params = "TRUE", []
    else:
        # A mart without an athlete column cannot be scoped; only admin keys may read it.
        raise InvalidRequest(f"marts.{table} has no athlete_id column; it needs an all-athletes key")
    day = next((c for c in _DATE_COLUMNS if c in columns), None)
    if day is not None and start is not None:
        where += f' AND CAST("{day}" AS DATE) >= ?'
        params.append(start)
    if day is not None and end is not None:
        where += f' AND CAST("{day}" AS DATE) <= ?'
        params.append(end)
    for column, value in (filters or {}).items():
        if value is None or column not in columns:
            continue
        where += f' AND CAST("{column}" AS VARCHAR) = ?'
        params.append(str(value))
    order = [f'"{c}"' for c in _TABLE_ORDER.get(table, ("athlete_id", *_ORDER_HINTS)) if c in columns] or ["1"]
    result = cur.conn.execute(
        f"SELECT * FROM marts.{table} WHERE {where} ORDER BY {', '.join(order)} LIMIT ?", [*params, limit]
    )
    names = [d[0] for d in result.description]
    rows = [{k: json_safe(v) for k, v in zip(names, row, strict=True)} for row in result.fetchall()]
    return m.MartRows(table=f"marts.{table}", columns=names, rows=rows)


def compare_devices(
    cur: Cursor,
    scope: AthleteScope,
    *,
    athlete_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = 1000,
) -> m.MartRows:
    """marts.cross_device_daily when built; until then, every recording of the activities that several
    devices recorded, side by side with the merged activity's values (no formula, just the stored numbers)."""
    if cur.has_table("marts", "cross_device_daily"):
        return mart_rows(cur, scope, "cross_device_daily", athlete_id=athlete_id, start=start, end=end, limit=limit)
    _require(cur, "openfit", "activity_recordings")
    _check_limit(limit, 10_000)
    _check_range(start, end)
    where, params = _athlete_clause(scope, athlete_id, column="a.athlete_id")
    if start is not None:
        where += " AND a.local_date >= ?"
        params.append(start)
    if end is not None:
        where += " AND a.local_date <= ?"
        params.append(end)
    result = cur.conn.execute(
        "SELECT CAST(a.athlete_id AS VARCHAR) AS athlete_id, a.local_date AS date, "
        "CAST(a.activity_id AS VARCHAR) AS activity_id, a.sport, CAST(r.recording_id AS VARCHAR) AS recording_id, "
        "r.source, CAST(r.device_id AS VARCHAR) AS device_id, "
        "CAST(r.recording_id AS VARCHAR) = CAST(a.primary_recording_id AS VARCHAR) AS is_primary, "
        "r.duration_s, a.duration_s AS merged_duration_s, r.distance_m, a.distance_m AS merged_distance_m, "
        "r.avg_hr, a.avg_hr AS merged_avg_hr, r.max_hr, a.max_hr AS merged_max_hr, "
        "r.avg_power_w, a.avg_power_w AS merged_avg_power_w "
        "FROM openfit.activities a JOIN openfit.activity_recordings r ON r.activity_id = a.activity_id "
        f"WHERE a.recording_count > 1 AND {where} "
        "ORDER BY a.local_date DESC, a.activity_id, is_primary DESC, r.source LIMIT ?",
        [*params, limit],
    )
    names = [d[0] for d in result.description]
    rows = [{k: json_safe(v) for k, v in zip(names, row, strict=True)} for row in result.fetchall()]
    return m.MartRows(table="openfit.activity_recordings (multi-device activities)", columns=names, rows=rows)


def trends(
    cur: Cursor,
    scope: AthleteScope,
    *,
    athlete_id: str | None = None,
    period: str = "week",
    start: date | None = None,
    end: date | None = None,
    sport: str | None = None,
) -> m.Trends:
    """Weekly or monthly totals of activities (count, duration, distance, ascent, energy) by local date."""
    if period not in ("week", "month"):
        raise InvalidRequest("period must be week or month", {"period": period})
    _require(cur, "openfit", "activities")
    _check_range(start, end)
    athlete = resolve_athlete(cur, scope, athlete_id)
    where, params = _athlete_clause(scope, athlete)
    if start is not None:
        where += " AND local_date >= ?"
        params.append(start)
    if end is not None:
        where += " AND local_date <= ?"
        params.append(end)
    if sport:
        where += " AND lower(sport) = lower(?)"
        params.append(sport)
    rows = cur.rows(
        f"SELECT CAST(date_trunc('{period}', local_date) AS DATE) AS period_start, count(*) AS activities, "
        "coalesce(sum(duration_s), 0) AS duration_s, coalesce(sum(distance_m), 0) AS distance_m, "
        "coalesce(sum(ascent_m), 0) AS ascent_m, coalesce(sum(kcal), 0) AS kcal "
        f"FROM openfit.activities WHERE {where} GROUP BY 1 ORDER BY 1",
        params,
    )
    return m.Trends(athlete_id=athlete, period=period, buckets=[m.TrendBucket(**r) for r in rows])
