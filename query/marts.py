"""Reads of the science marts (built by dbt with analytics/) and simple activity trends.

The marts' columns are owned by the transform layer, so rows come back as they are stored (JSON-safe), filtered
by athlete and date. A mart that has not been built yet is a NotBuiltYet (HTTP 503), not an empty answer.
"""

from __future__ import annotations

from datetime import date

from analytics.wellness import ANOMALY_KINDS, SEVERITIES
from openfit.settings import DAILY_METRICS
from query import models as m
from query.errors import InvalidRequest
from query.filters import athlete_clause, check_limit, check_range, require_table
from query.reads import resolve_athlete
from query.scope import AthleteScope
from query.snapshot import Cursor
from query.values import json_safe

MARTS = {
    "training-load": "daily_training_load",
    "personal-records": "personal_records",
    "power-curve": "power_curve",
    "pace-curve": "pace_curve",
    "cross-device": "cross_device_daily",
    "fitness-estimates": "fitness_estimates",
    "activity-load": "activity_load",
    "daily-summary": "daily_athlete_summary",
    "anomalies": "anomalies",
    "readiness": "readiness",
    "race-predictions": "race_predictions",
}
_DATE_COLUMNS = ("date", "local_date", "day", "achieved_on", "start_time")
_ORDER_HINTS = ("date", "local_date", "day", "start_time", "duration_s", "achieved_on")
# Curves and records read best in their own order (by window, then duration or distance).
_TABLE_ORDER = {
    "power_curve": ("athlete_id", "window", "duration_s"),
    "pace_curve": ("athlete_id", "window", "distance_m"),
    "personal_records": ("athlete_id", "sport", "record_type", "date"),
    "cross_device_daily": ("athlete_id", "date", "metric", "source", "device_id"),
    "anomalies": ("athlete_id", "date", "kind"),
    "race_predictions": ("athlete_id", "source_distance_m", "target_distance_m"),
}


def mart_rows(
    cur: Cursor,
    scope: AthleteScope,
    table: str,
    *,
    athlete_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
    filters: dict[str, str | float | None] | None = None,
    limit: int = 1000,
) -> m.MartRows:
    """Rows of marts.<table> visible to the scope, optionally for one athlete, a date range and equal-filters."""
    require_table(cur, "marts", table)
    check_limit(limit, 10_000)
    check_range(start, end)
    columns = cur.columns("marts", table)
    if "athlete_id" in columns:
        where, params = athlete_clause(scope, athlete_id)
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
    order = [f'"{c}"' for c in _TABLE_ORDER.get(table, ("athlete_id", *_ORDER_HINTS)) if c in columns] or [
        "1"
    ]
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
    metric: str | None = None,
    limit: int = 1000,
) -> m.MartRows:
    """marts.cross_device_daily: per athlete, day and daily metric, every source device's value, whether it is
    the one openfit.wellness_daily chose, and its deviation from the other sources' mean."""
    if metric is not None and metric not in DAILY_METRICS:
        raise InvalidRequest(f"unknown daily metric {metric!r}", {"known": list(DAILY_METRICS)})
    return mart_rows(
        cur,
        scope,
        "cross_device_daily",
        athlete_id=athlete_id,
        start=start,
        end=end,
        filters={"metric": metric},
        limit=limit,
    )


def anomalies(
    cur: Cursor,
    scope: AthleteScope,
    *,
    athlete_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
    kind: str | None = None,
    severity: str | None = None,
    limit: int = 1000,
) -> m.MartRows:
    """marts.anomalies: per athlete, day and kind, a flag with its severity, the value against its threshold and
    baseline, and a plain-language explanation; optionally one kind or one severity."""
    if kind is not None and kind not in ANOMALY_KINDS:
        raise InvalidRequest(f"unknown anomaly kind {kind!r}", {"known": list(ANOMALY_KINDS)})
    if severity is not None and severity not in SEVERITIES:
        raise InvalidRequest(f"unknown severity {severity!r}", {"known": list(SEVERITIES)})
    return mart_rows(
        cur,
        scope,
        "anomalies",
        athlete_id=athlete_id,
        start=start,
        end=end,
        filters={"kind": kind, "severity": severity},
        limit=limit,
    )


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
    require_table(cur, "openfit", "activities")
    check_range(start, end)
    athlete = resolve_athlete(cur, scope, athlete_id)
    where, params = athlete_clause(scope, athlete)
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
