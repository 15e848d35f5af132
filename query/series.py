"""Metric series: raw points from openfit.metrics, the catalogue's daily series, and their correlation.

The catalogue names daily series that live in other tables (wellness, sleep, activities, the load mart).
No sports-science formula is computed here: training load comes from marts.daily_training_load, built by
dbt with analytics/. Correlation is plain Pearson r on aligned days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from query import models as m
from query.errors import InvalidRequest, NotBuiltYet, NotFound
from query.filters import athlete_clause, check_range, require_table
from query.reads import resolve_athlete
from query.scope import AthleteScope
from query.snapshot import Cursor

MAX_CORRELATE_DAYS = 1096
MAX_LAG_DAYS = 14


@dataclass(frozen=True)
class DailyMetric:
    name: str
    unit: str
    description: str
    schema: str
    table: str
    columns: tuple[str, ...]  # the first one present is used
    date_columns: tuple[str, ...] = ("date", "local_date")
    aggregate: str = "avg"
    scale: float = 1.0


CATALOGUE: dict[str, DailyMetric] = {
    d.name: d
    for d in (
        DailyMetric(
            "resting_hr",
            "bpm",
            "Resting heart rate of the day (the preferred source's).",
            "openfit",
            "wellness_daily",
            ("resting_hr",),
        ),
        DailyMetric(
            "hrv",
            "ms",
            "Heart-rate variability, RMSSD, of the day (the preferred source's).",
            "openfit",
            "wellness_daily",
            ("hrv_rmssd_ms",),
        ),
        DailyMetric(
            "steps",
            "steps",
            "Steps of the day (the preferred source's).",
            "openfit",
            "wellness_daily",
            ("steps",),
        ),
        DailyMetric("weight_kg", "kg", "Body weight.", "openfit", "wellness_daily", ("weight_kg",)),
        DailyMetric("body_fat_pct", "%", "Body fat.", "openfit", "wellness_daily", ("body_fat_pct",)),
        DailyMetric(
            "active_kcal",
            "kcal",
            "Active energy of the day (the preferred source's).",
            "openfit",
            "wellness_daily",
            ("active_kcal",),
        ),
        DailyMetric(
            "stress_avg",
            "score",
            "Average stress score (vendor scale).",
            "openfit",
            "wellness_daily",
            ("stress_avg",),
        ),
        DailyMetric(
            "sleep_score",
            "score",
            "Score of the main sleep ending on that local date (the preferred source's, vendor scale).",
            "openfit",
            "wellness_daily",
            ("sleep_score",),
        ),
        DailyMetric(
            "sleep_hours",
            "h",
            "Time asleep in sleep ending on that local date (the preferred source's).",
            "openfit",
            "wellness_daily",
            ("sleep_s",),
            scale=1 / 3600,
        ),
        DailyMetric(
            "activity_hours",
            "h",
            "Total activity duration of the day.",
            "openfit",
            "activities",
            ("duration_s",),
            date_columns=("local_date",),
            aggregate="sum",
            scale=1 / 3600,
        ),
        DailyMetric(
            "activity_km",
            "km",
            "Total activity distance of the day.",
            "openfit",
            "activities",
            ("distance_m",),
            date_columns=("local_date",),
            aggregate="sum",
            scale=1 / 1000,
        ),
        DailyMetric(
            "training_load",
            "load",
            "Daily training load from the load mart (algorithm per settings).",
            "marts",
            "daily_training_load",
            ("load", "daily_load", "training_load", "tss"),
            date_columns=("date", "local_date", "day"),
        ),
        DailyMetric(
            "ctl",
            "load",
            "Chronic training load (fitness) from the load mart.",
            "marts",
            "daily_training_load",
            ("ctl", "fitness"),
            date_columns=("date", "local_date", "day"),
        ),
        DailyMetric(
            "atl",
            "load",
            "Acute training load (fatigue) from the load mart.",
            "marts",
            "daily_training_load",
            ("atl", "fatigue"),
            date_columns=("date", "local_date", "day"),
        ),
        DailyMetric(
            "tsb",
            "load",
            "Training stress balance (form) from the load mart.",
            "marts",
            "daily_training_load",
            ("tsb", "form"),
            date_columns=("date", "local_date", "day"),
        ),
    )
}


def catalogue() -> list[dict]:
    return [
        {
            "name": d.name,
            "unit": d.unit,
            "description": d.description,
            "table": f"{d.schema}.{d.table}",
            "daily_aggregate": d.aggregate,
        }
        for d in CATALOGUE.values()
    ]


def _first_present(cur: Cursor, schema: str, table: str, names: tuple[str, ...], what: str) -> str:
    present = cur.columns(schema, table)
    for name in names:
        if name in present:
            return name
    raise NotBuiltYet(f"{schema}.{table} has no {what} column yet", {"looked_for": list(names)})


def daily_series(
    cur: Cursor, scope: AthleteScope, athlete_id: str, metric: str, start: date, end: date
) -> dict[date, float]:
    """One value per local date for `metric` (catalogue name or a metric in openfit.metrics).

    A dict, so the queries need no ORDER BY (DuckDB's sort setup costs about half a millisecond each)."""
    where, params = athlete_clause(scope, athlete_id)
    spec = CATALOGUE.get(metric)
    if spec is not None:
        require_table(cur, spec.schema, spec.table)
        column = _first_present(cur, spec.schema, spec.table, spec.columns, "value")
        day = _first_present(cur, spec.schema, spec.table, spec.date_columns, "date")
        rows = cur.rows(
            f'SELECT CAST("{day}" AS DATE) AS d, {spec.aggregate}("{column}") * ? AS v '
            f'FROM {spec.schema}.{spec.table} WHERE {where} AND CAST("{day}" AS DATE) BETWEEN ? AND ? '
            "GROUP BY 1",
            [spec.scale, *params, start, end],
        )
    else:
        require_table(cur, "openfit", "metrics")
        if cur.one("SELECT 1 AS x FROM openfit.metrics WHERE metric = ? LIMIT 1", [metric]) is None:
            raise NotFound(f"unknown metric {metric!r}", {"catalogue": list(CATALOGUE)})
        rows = cur.rows(
            f"SELECT CAST(ts AS DATE) AS d, avg(value) AS v FROM openfit.metrics WHERE metric = ? AND {where} "
            "AND CAST(ts AS DATE) BETWEEN ? AND ? GROUP BY 1",
            [metric, *params, start, end],
        )
    return {r["d"]: float(r["v"]) for r in rows if r["v"] is not None}


def metric_series(
    cur: Cursor,
    scope: AthleteScope,
    metric: str,
    *,
    athlete_id: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    sources: list[str] | None = None,
    limit: int = 5000,
) -> m.MetricSeries:
    """Raw points of a metric in openfit.metrics, or the catalogue's daily series if it is not one."""
    check_range(start, end)
    if not 1 <= limit <= 50_000:
        raise InvalidRequest("limit must be between 1 and 50000", {"limit": limit})
    is_raw = (
        cur.has_table("openfit", "metrics")
        and cur.one("SELECT 1 AS x FROM openfit.metrics WHERE metric = ? LIMIT 1", [metric]) is not None
    )
    if is_raw:
        where, params = athlete_clause(scope, athlete_id)
        if start is not None:
            where += " AND ts >= ?"
            params.append(start)
        if end is not None:
            where += " AND ts < ?"
            params.append(end)
        if sources:
            where += " AND list_contains(?, source)"
            params.append(sources)
        rows = cur.rows(
            "SELECT CAST(athlete_id AS VARCHAR) AS athlete_id, ts, value, unit, source, "
            f"CAST(device_id AS VARCHAR) AS device_id FROM openfit.metrics WHERE metric = ? AND {where} "
            "ORDER BY ts, source LIMIT ?",
            [metric, *params, limit],
        )
        unit = next((r["unit"] for r in rows if r["unit"]), None)
        return m.MetricSeries(metric=metric, kind="raw", unit=unit, points=[m.MetricPoint(**r) for r in rows])
    spec = CATALOGUE.get(metric)
    if spec is None:
        raise NotFound(f"unknown metric {metric!r}", {"catalogue": list(CATALOGUE)})
    if sources:
        raise InvalidRequest(
            f"{metric} is a daily series merged over sources; `sources` applies to raw metrics"
        )
    athlete = resolve_athlete(cur, scope, athlete_id)
    last = (end - timedelta(microseconds=1)).date() if end else latest_day(cur, scope, athlete)
    first = start.date() if start else last - timedelta(days=365)
    values = daily_series(cur, scope, athlete, metric, first, last)
    # A daily point's ts is the local date at 00:00 (marked UTC): the date is what counts.
    points = [
        m.MetricPoint(
            athlete_id=athlete, ts=datetime(d.year, d.month, d.day, tzinfo=UTC), value=v, unit=spec.unit
        )
        for d, v in sorted(values.items())
    ][:limit]
    return m.MetricSeries(metric=metric, kind="daily", unit=spec.unit, points=points)


def latest_day(cur: Cursor, scope: AthleteScope, athlete_id: str) -> date:
    """The athlete's last day with wellness or activity data (a default end for daily windows), else today."""
    where, params = athlete_clause(scope, athlete_id)
    for table, column in (
        ("wellness_daily", "date"),
        ("activities", "local_date"),
        ("sleep_sessions", "local_date"),
    ):
        if column in cur.columns("openfit", table):
            row = cur.one(
                f'SELECT max(CAST("{column}" AS DATE)) AS d FROM openfit.{table} WHERE {where}', params
            )
            if row and row["d"] is not None:
                return row["d"]
    return date.today()


def _pearson(a: np.ndarray, b: np.ndarray) -> tuple[float | None, int]:
    both = ~np.isnan(a) & ~np.isnan(b)
    n = int(both.sum())
    if n < 3:
        return None, n
    x, y = a[both], b[both]
    sx, sy = x.std(), y.std()
    if sx == 0 or sy == 0:
        return None, n
    return float(np.clip(((x - x.mean()) * (y - y.mean())).mean() / (sx * sy), -1.0, 1.0)), n


def correlate(
    cur: Cursor,
    scope: AthleteScope,
    metrics: list[str],
    *,
    athlete_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
    normalize: bool = True,
    max_lag_days: int = 3,
) -> m.CorrelationResult:
    """Aligns daily series on a calendar, optionally z-normalises them, and correlates every pair at lags."""
    names = list(dict.fromkeys(x.strip() for x in metrics if x.strip()))
    if not 2 <= len(names) <= 8:
        raise InvalidRequest("pass between 2 and 8 distinct metrics", {"metrics": names})
    if not 0 <= max_lag_days <= MAX_LAG_DAYS:
        raise InvalidRequest(
            f"max_lag_days must be between 0 and {MAX_LAG_DAYS}", {"max_lag_days": max_lag_days}
        )
    check_range(start, end)
    athlete = resolve_athlete(cur, scope, athlete_id)
    last = end or latest_day(cur, scope, athlete)
    first = start or last - timedelta(days=89)
    days = (last - first).days + 1
    if days > MAX_CORRELATE_DAYS:
        raise InvalidRequest(f"the range may span at most {MAX_CORRELATE_DAYS} days", {"days": days})
    calendar = [first + timedelta(days=i) for i in range(days)]
    arrays: dict[str, np.ndarray] = {}
    for name in names:
        values = daily_series(cur, scope, athlete, name, first, last)
        arr = np.array([values.get(d, np.nan) for d in calendar], dtype=float)
        if normalize:
            finite = arr[~np.isnan(arr)]
            if finite.size >= 2 and finite.std() > 0:
                arr = (arr - finite.mean()) / finite.std()
        arrays[name] = arr
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            for lag in range(-max_lag_days, max_lag_days + 1):
                # a(day) against b(day + lag)
                if lag >= 0:
                    x, y = arrays[a][: days - lag], arrays[b][lag:]
                else:
                    x, y = arrays[a][-lag:], arrays[b][: days + lag]
                r, n = _pearson(x, y)
                pairs.append(m.Correlation(a=a, b=b, lag_days=lag, r=None if r is None else round(r, 4), n=n))
    series = {k: [None if np.isnan(v) else round(float(v), 4) for v in arr] for k, arr in arrays.items()}
    return m.CorrelationResult(
        athlete_id=athlete, dates=calendar, normalized=normalize, series=series, correlations=pairs
    )
