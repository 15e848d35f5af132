"""Dashboard-only aggregations over the snapshot (daily series, curves, cross-device, data health).

Same rules as `query.reads`: every function takes a `Cursor`, binds every value as a parameter and raises
`NotBuiltYet` when a table it needs is not in the snapshot. Results are pandas DataFrames because every
caller draws them. Columns of the marts are resolved by name at query time (`_pick`): the marts land in
stages, and a column renamed in review should give an empty state naming it, not a crash.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from query.errors import InvalidRequest, NotBuiltYet
from query.filters import check_range, require_table
from query.snapshot import Cursor

WELLNESS_METRICS = (
    "resting_hr",
    "hrv_rmssd_ms",
    "sleep_s",
    "sleep_score",
    "steps",
    "weight_kg",
    "body_fat_pct",
    "stress_avg",
    "active_kcal",
)
STREAM_CHANNELS = ("heart_rate", "power_w", "speed_mps", "cadence", "altitude_m", "lat", "lon")


def _pick(columns: list[str], *candidates: str, table: str = "", required: bool = True) -> str | None:
    """The first candidate column that exists, quoted; NotBuiltYet naming the table when none does."""
    for name in candidates:
        if name in columns:
            return '"' + name + '"'
    if required:
        raise NotBuiltYet(f"{table} has none of the columns {', '.join(candidates)}", {"table": table})
    return None


def _device_label(cur: Cursor, alias: str, columns: list[str]) -> tuple[str, str]:
    """(label expression, join): 'vendor model (source)' for the device behind a row, else its source.

    One source can deliver several devices (a ring and a watch through one account): comparisons are
    per device, so each needs its own name."""
    if "device_id" in columns and cur.has_table("openfit", "devices"):
        return (
            f"coalesce(dev.vendor || ' ' || dev.model || ' (' || {alias}.source || ')', "
            f"CAST({alias}.device_id AS VARCHAR), {alias}.source)",
            f"LEFT JOIN openfit.devices dev ON CAST(dev.device_id AS VARCHAR) = CAST({alias}.device_id AS VARCHAR)",
        )
    return f"{alias}.source", ""


def _frame(cur: Cursor, sql: str, params: list | None = None) -> pd.DataFrame:
    return cur.arrow(sql, params or []).to_pandas()


# ------------------------------------------------------------------------------------------------ pickers


def athlete_date_bounds(cur: Cursor, athlete_id: str) -> tuple[date, date] | None:
    """First and last local date with any activity or wellness record of the athlete (None when none)."""
    parts = []
    if cur.has_table("openfit", "activities"):
        parts.append(
            "SELECT min(local_date) AS lo, max(local_date) AS hi FROM openfit.activities "
            "WHERE CAST(athlete_id AS VARCHAR) = ?"
        )
    if cur.has_table("openfit", "wellness_daily"):
        parts.append(
            'SELECT min("date"), max("date") FROM openfit.wellness_daily WHERE CAST(athlete_id AS VARCHAR) = ?'
        )
    if not parts:
        raise NotBuiltYet(
            "openfit.activities is not in the published snapshot yet", {"table": "openfit.activities"}
        )
    row = cur.one(
        f"SELECT min(lo) AS lo, max(hi) AS hi FROM ({' UNION ALL '.join(parts)})",
        [str(athlete_id)] * len(parts),
    )
    if row is None or row["lo"] is None:
        return None
    return row["lo"], row["hi"]


# ------------------------------------------------------------------------------------------------ fitness & form


def training_load(cur: Cursor, athlete_id: str, start: date, end: date) -> pd.DataFrame:
    """marts.daily_training_load for one athlete and an inclusive date range, oldest first."""
    check_range(start, end)
    cols = require_table(cur, "marts", "daily_training_load")
    wanted = ["date", "load", "ctl", "atl", "tsb", "ramp_rate", "acwr", "monotony", "strain"]
    # The variant names that produced the numbers (pmc_convention, tsb_alignment, acwr_method, ...).
    algo = [
        c
        for c in cols
        if c not in wanted
        and any(k in c for k in ("algorithm", "convention", "alignment", "_method", "method"))
    ]
    select = ", ".join(f'"{c}"' if c in cols else f'NULL::DOUBLE AS "{c}"' for c in wanted)
    select += "".join(f', "{c}"' for c in algo)
    return _frame(
        cur,
        f"SELECT {select} FROM marts.daily_training_load WHERE CAST(athlete_id AS VARCHAR) = ? "
        'AND "date" BETWEEN ? AND ? ORDER BY "date"',
        [str(athlete_id), start, end],
    )


def weekly_load(cur: Cursor, athlete_id: str, start: date, end: date) -> pd.DataFrame:
    """Per ISO week: total load, and the Foster monotony and strain of the week's last day."""
    check_range(start, end)
    cols = require_table(cur, "marts", "daily_training_load")
    monotony = _pick(cols, "monotony", table="marts.daily_training_load", required=False) or "NULL::DOUBLE"
    strain = _pick(cols, "strain", table="marts.daily_training_load", required=False) or "NULL::DOUBLE"
    return _frame(
        cur,
        f"""SELECT date_trunc('week', "date")::DATE AS week, sum("load") AS load,
                   arg_max({monotony}, "date") AS monotony, arg_max({strain}, "date") AS strain
            FROM marts.daily_training_load
            WHERE CAST(athlete_id AS VARCHAR) = ? AND "date" BETWEEN ? AND ?
            GROUP BY week ORDER BY week""",
        [str(athlete_id), start, end],
    )


# ------------------------------------------------------------------------------------------------ activities


def activity_filter_options(cur: Cursor, athlete_id: str) -> dict[str, list[str]]:
    """The sports and sources that occur in the athlete's activities (for the table's filters)."""
    require_table(cur, "openfit", "activities")
    sports = [
        r["sport"]
        for r in cur.rows(
            "SELECT DISTINCT sport FROM openfit.activities WHERE CAST(athlete_id AS VARCHAR) = ? AND sport IS NOT NULL "
            "ORDER BY 1",
            [str(athlete_id)],
        )
    ]
    sources = [
        r["source"]
        for r in cur.rows(
            "SELECT DISTINCT primary_source AS source FROM openfit.activities WHERE CAST(athlete_id AS VARCHAR) = ? "
            "AND primary_source IS NOT NULL ORDER BY 1",
            [str(athlete_id)],
        )
    ]
    return {"sports": sports, "sources": sources}


def activity_table(
    cur: Cursor,
    athlete_id: str,
    start: date,
    end: date,
    *,
    sports: list[str] | None = None,
    sources: list[str] | None = None,
    limit: int = 5000,
) -> pd.DataFrame:
    """The athlete's activities in an inclusive local-date range, newest first, with load when the mart exists."""
    check_range(start, end)
    cols = require_table(cur, "openfit", "activities")
    wanted = [
        "activity_id",
        "local_date",
        "start_time",
        "sport",
        "duration_s",
        "distance_m",
        "avg_hr",
        "avg_power_w",
        "avg_speed_mps",
        "primary_source",
        "primary_device_id",
        "recording_count",
    ]
    select = ", ".join(f'a."{c}"' if c in cols else f'NULL AS "{c}"' for c in wanted)
    join, load = "", "NULL::DOUBLE AS load"
    if cur.has_table("marts", "activity_load") and "load" in cur.columns("marts", "activity_load"):
        join = "LEFT JOIN marts.activity_load l ON CAST(l.activity_id AS VARCHAR) = CAST(a.activity_id AS VARCHAR)"
        load = "l.load"
    where, params = (
        "CAST(a.athlete_id AS VARCHAR) = ? AND a.local_date BETWEEN ? AND ?",
        [str(athlete_id), start, end],
    )
    if sports:
        where += " AND list_contains(?, a.sport)"
        params.append(list(sports))
    if sources:
        where += " AND list_contains(?, a.primary_source)"
        params.append(list(sources))
    return _frame(
        cur,
        f"SELECT {select}, {load} FROM openfit.activities a {join} WHERE {where} "
        "ORDER BY a.start_time DESC LIMIT ?",
        [*params, limit],
    )


def activity_samples(cur: Cursor, activity_id: str) -> pd.DataFrame:
    """Every merged sample of one activity (ts, recording_id, stream channels), oldest first.

    One scan of openfit.activity_samples per activity: on a large warehouse that scan dominates the cost,
    so the streams, time in zones and channel provenance are all derived from this one result.
    """
    cols = require_table(cur, "openfit", "activity_samples")
    channels = [c for c in STREAM_CHANNELS if c in cols]
    recording = "CAST(recording_id AS VARCHAR)" if "recording_id" in cols else "NULL::VARCHAR"
    select = ", ".join(f'"{c}"' for c in channels)
    return _frame(
        cur,
        f"SELECT ts, {recording} AS recording_id{', ' + select if select else ''} "
        "FROM openfit.activity_samples WHERE activity_id = ? ORDER BY ts",
        [str(activity_id)],
    )


def recording_devices(cur: Cursor, recording_ids: list[str]) -> pd.DataFrame:
    """recording_id, source and device name ('vendor model', else the device id) of the given recordings."""
    cols = require_table(cur, "openfit", "activity_recordings")
    device_id = "r.device_id" if "device_id" in cols else "NULL"
    device, join = device_id, ""
    if "device_id" in cols and cur.has_table("openfit", "devices"):
        device = "coalesce(d.vendor || ' ' || d.model, CAST(r.device_id AS VARCHAR))"
        join = "LEFT JOIN openfit.devices d ON CAST(d.device_id AS VARCHAR) = CAST(r.device_id AS VARCHAR)"
    return _frame(
        cur,
        f"SELECT CAST(r.recording_id AS VARCHAR) AS recording_id, r.source, {device} AS device "
        f"FROM openfit.activity_recordings r {join} WHERE list_contains(?, CAST(r.recording_id AS VARCHAR))",
        [list(recording_ids)],
    )


def activity_load_metrics(cur: Cursor, activity_id: str) -> dict | None:
    """The activity's row of marts.activity_load (None when the activity has none)."""
    require_table(cur, "marts", "activity_load")
    return cur.one(
        "SELECT * FROM marts.activity_load WHERE CAST(activity_id AS VARCHAR) = ?", [str(activity_id)]
    )


def activity_data_issues(cur: Cursor, activity_id: str) -> pd.DataFrame:
    """The activity's rows of marts.activity_data_issues, in order of start (empty when it was found clean)."""
    require_table(cur, "marts", "activity_data_issues")
    return _frame(
        cur,
        "SELECT issue_index, kind, channel, severity, start_offset_s, end_offset_s, samples, explanation "
        "FROM marts.activity_data_issues WHERE CAST(activity_id AS VARCHAR) = ? ORDER BY issue_index",
        [str(activity_id)],
    )


def thresholds_on(cur: Cursor, athlete_id: str, day: date) -> dict | None:
    """The athlete's thresholds in force on `day` (valid_from <= day <= valid_to, open-ended when null)."""
    cols = require_table(cur, "openfit", "athlete_thresholds")
    start = _pick(cols, "valid_from", "effective_from", table="openfit.athlete_thresholds")
    end = _pick(cols, "valid_to", table="openfit.athlete_thresholds", required=False)
    until = f" AND ({end} IS NULL OR {end} >= ?)" if end else ""
    params = [str(athlete_id), day] + ([day] if end else [])
    return cur.one(
        f"SELECT * FROM openfit.athlete_thresholds WHERE CAST(athlete_id AS VARCHAR) = ? AND {start} <= ?"
        f"{until} ORDER BY {start} DESC LIMIT 1",
        params,
    )


# ------------------------------------------------------------------------------------------------ power & pace


def power_curve(cur: Cursor, athlete_id: str) -> pd.DataFrame:
    """marts.power_curve for one athlete: window, duration_s, watts, activity_id, date."""
    cols = require_table(cur, "marts", "power_curve")
    t = "marts.power_curve"
    window = _pick(cols, "window", "window_name", "period", table=t)
    watts = _pick(cols, "watts", "power_w", "mean_max_w", table=t)
    activity = _pick(cols, "activity_id", table=t, required=False) or "NULL"
    day = _pick(cols, "date", "effort_date", table=t, required=False) or "NULL::DATE"
    return _frame(
        cur,
        f'SELECT CAST({window} AS VARCHAR) AS "window", duration_s, {watts} AS watts, '
        f'CAST({activity} AS VARCHAR) AS activity_id, {day} AS "date" FROM {t} '
        "WHERE CAST(athlete_id AS VARCHAR) = ? ORDER BY 1, duration_s",
        [str(athlete_id)],
    )


def pace_curve(cur: Cursor, athlete_id: str) -> pd.DataFrame:
    """marts.pace_curve for one athlete as window, distance_m (or duration_s), pace_s_per_km, activity_id, date."""
    cols = require_table(cur, "marts", "pace_curve")
    t = "marts.pace_curve"
    window = _pick(cols, "window", "window_name", "period", table=t)
    activity = _pick(cols, "activity_id", table=t, required=False) or "NULL"
    day = _pick(cols, "date", "effort_date", table=t, required=False) or "NULL::DATE"
    if "distance_m" in cols and "time_s" in cols:
        x, pace = "distance_m", "time_s / distance_m * 1000"
    elif "duration_s" in cols and "speed_mps" in cols:
        x, pace = "duration_s", "1000 / nullif(speed_mps, 0)"
    elif "duration_s" in cols and "pace_s_per_km" in cols:
        x, pace = "duration_s", "pace_s_per_km"
    elif "distance_m" in cols and "pace_s_per_km" in cols:
        x, pace = "distance_m", "pace_s_per_km"
    else:
        raise NotBuiltYet(f"{t} has neither distance/time nor duration/speed columns", {"table": t})
    return _frame(
        cur,
        f'SELECT CAST({window} AS VARCHAR) AS "window", {x} AS {x}, {pace} AS pace_s_per_km, '
        f'CAST({activity} AS VARCHAR) AS activity_id, {day} AS "date" FROM {t} '
        f"WHERE CAST(athlete_id AS VARCHAR) = ? ORDER BY 1, 2",
        [str(athlete_id)],
    )


def fitness_estimates(cur: Cursor, athlete_id: str, start: date, end: date) -> pd.DataFrame:
    """marts.fitness_estimates (eFTP, CP, W', VDOT, VO2max) over the date range."""
    check_range(start, end)
    cols = require_table(cur, "marts", "fitness_estimates")
    wanted = ["date", "eftp_w", "cp_w", "w_prime_j", "vdot", "vo2max", "method"]
    select = ", ".join(f'"{c}"' if c in cols else f'NULL AS "{c}"' for c in wanted)
    return _frame(
        cur,
        f"SELECT {select} FROM marts.fitness_estimates WHERE CAST(athlete_id AS VARCHAR) = ? "
        'AND "date" BETWEEN ? AND ? ORDER BY "date"',
        [str(athlete_id), start, end],
    )


# ------------------------------------------------------------------------------------------------ sleep & recovery


def sleep_nights(cur: Cursor, athlete_id: str, start: date, end: date) -> pd.DataFrame:
    """One row per sleep session (every source and device) by local date: duration, stages in seconds, score,
    HRV, and `device` naming the device (and source) that recorded it."""
    check_range(start, end)
    cols = require_table(cur, "openfit", "sleep_sessions")
    wanted = [
        "sleep_id",
        "local_date",
        "source",
        "device_id",
        "start_time",
        "end_time",
        "duration_s",
        "deep_s",
        "light_s",
        "rem_s",
        "awake_s",
        "score",
        "hrv_rmssd_ms",
        "lowest_hr",
    ]
    select = ", ".join(f's."{c}"' if c in cols else f'NULL AS "{c}"' for c in wanted)
    label, join = _device_label(cur, "s", cols)
    return _frame(
        cur,
        f"SELECT {select}, {label} AS device FROM openfit.sleep_sessions s {join} "
        "WHERE CAST(s.athlete_id AS VARCHAR) = ? AND s.local_date BETWEEN ? AND ? "
        "ORDER BY s.local_date, device",
        [str(athlete_id), start, end],
    )


def wellness_chosen(cur: Cursor, athlete_id: str, start: date, end: date) -> pd.DataFrame:
    """openfit.wellness_daily: one row per date, each metric's chosen value and its <metric>_source."""
    check_range(start, end)
    cols = require_table(cur, "openfit", "wellness_daily")
    wanted = [c for m in WELLNESS_METRICS for c in (m, f"{m}_source") if c in cols]
    select = ", ".join(f'"{c}"' for c in ["date", *wanted])
    return _frame(
        cur,
        f"SELECT {select} FROM openfit.wellness_daily WHERE CAST(athlete_id AS VARCHAR) = ? "
        'AND "date" BETWEEN ? AND ? ORDER BY "date"',
        [str(athlete_id), start, end],
    )


# ------------------------------------------------------------------------------------------------ readiness & alerts

READINESS_COMPONENTS = ("hrv", "resting_hr", "sleep", "tsb", "acwr")
BASELINE_COLUMNS = (
    "resting_hr",
    "rhr_baseline_median",
    "rhr_baseline_mad",
    "rhr_z",
    "hrv_rmssd_ms",
    "hrv_ln_rmssd",
    "hrv_ln_rmssd_7d",
    "hrv_baseline_mean",
    "hrv_swc_lower",
    "hrv_swc_upper",
    "hrv_z",
    "sleep_s",
    "sleep_baseline_median",
    "sleep_baseline_mad",
    "sleep_need_s",
    "sleep_z",
)
ANOMALY_COLUMNS = ("kind", "severity", "value", "threshold", "baseline", "unit", "evidence", "explanation")


def _mart_by_day(
    cur: Cursor, table: str, wanted: tuple[str, ...], athlete_id: str, start: date, end: date
) -> pd.DataFrame:
    """The wanted columns of marts.<table> for one athlete and date range ("date" first; a column the mart does
    not have comes back as NULL, so a renamed column blanks one trace instead of failing the page)."""
    check_range(start, end)
    cols = require_table(cur, "marts", table)
    select = ", ".join(f'"{c}"' if c in cols else f'NULL AS "{c}"' for c in ("date", *wanted))
    return _frame(
        cur,
        f"SELECT {select} FROM marts.{table} WHERE CAST(athlete_id AS VARCHAR) = ? "
        'AND "date" BETWEEN ? AND ? ORDER BY "date"',
        [str(athlete_id), start, end],
    )


def readiness(cur: Cursor, athlete_id: str, start: date, end: date) -> pd.DataFrame:
    """marts.readiness: per day the score and coverage, and for each component its input, score and weight."""
    inputs = ("hrv_z", "rhr_z", "sleep_s", "tsb", "acwr")
    parts = tuple(f"{c}_{kind}" for c in READINESS_COMPONENTS for kind in ("component", "weight"))
    return _mart_by_day(cur, "readiness", ("score", "coverage", *inputs, *parts), athlete_id, start, end)


def wellness_baselines(cur: Cursor, athlete_id: str, start: date, end: date) -> pd.DataFrame:
    """marts.wellness_baselines: resting HR, ln RMSSD and sleep per day with their personal baseline bands."""
    return _mart_by_day(cur, "wellness_baselines", BASELINE_COLUMNS, athlete_id, start, end)


def anomaly_flags(cur: Cursor, athlete_id: str, start: date, end: date) -> pd.DataFrame:
    """marts.anomalies: one row per day and kind of flag, with its evidence and plain-language explanation."""
    return _mart_by_day(cur, "anomalies", ANOMALY_COLUMNS, athlete_id, start, end)


# ------------------------------------------------------------------------------------------------ cross-device


def cross_device_metrics(cur: Cursor, athlete_id: str) -> list[str]:
    """Metrics that at least two sources or devices reported for the athlete (the mart when built, else
    openfit.wellness_daily_by_source)."""
    if cur.has_table("marts", "cross_device_daily"):
        # Two devices of one provider (a watch and a ring both synced through it) count as two.
        device = ", device_id" if "device_id" in cur.columns("marts", "cross_device_daily") else ""
        rows = cur.rows(
            "SELECT metric FROM marts.cross_device_daily WHERE CAST(athlete_id AS VARCHAR) = ? "
            f"GROUP BY metric HAVING count(DISTINCT (source{device})) > 1 ORDER BY metric",
            [str(athlete_id)],
        )
        return [r["metric"] for r in rows]
    cols = require_table(cur, "openfit", "wellness_daily_by_source")
    found = []
    for metric in (c for c in WELLNESS_METRICS if c in cols):
        device = ", device_id" if "device_id" in cols else ""
        row = cur.one(
            f"SELECT count(DISTINCT (source{device})) AS n FROM openfit.wellness_daily_by_source "
            f'WHERE CAST(athlete_id AS VARCHAR) = ? AND "{metric}" IS NOT NULL',
            [str(athlete_id)],
        )
        if row and row["n"] > 1:
            found.append(metric)
    return found


def cross_device(cur: Cursor, athlete_id: str, metric: str, start: date, end: date) -> pd.DataFrame:
    """date, source (named per device: 'vendor model (source)'), value, chosen, and the deviation (absolute and
    relative) from the mean of the other devices that day: marts.cross_device_daily as built; without the mart,
    openfit.wellness_daily_by_source compared here (chosen unknown)."""
    check_range(start, end)
    if cur.has_table("marts", "cross_device_daily"):
        cols = cur.columns("marts", "cross_device_daily")
        label, join = _device_label(cur, "x", cols)
        return _frame(
            cur,
            f"""SELECT x."date", {label} AS source, x.value::DOUBLE AS value, x.chosen,
                       x.deviation, x.relative_deviation
                FROM marts.cross_device_daily x {join}
                WHERE CAST(x.athlete_id AS VARCHAR) = ? AND x.metric = ? AND x."date" BETWEEN ? AND ?
                ORDER BY x."date", source""",
            [str(athlete_id), metric, start, end],
        )
    cols = require_table(cur, "openfit", "wellness_daily_by_source")
    if metric not in WELLNESS_METRICS or metric not in cols:
        raise InvalidRequest(
            f"unknown wellness metric {metric!r}", {"known": [c for c in WELLNESS_METRICS if c in cols]}
        )
    label, join = _device_label(cur, "w", cols)
    return _frame(
        cur,
        f"""SELECT "date", source, value, NULL::BOOLEAN AS chosen, value - others AS deviation,
                   (value - others) / nullif(abs(others), 0) AS relative_deviation
            FROM (SELECT *, (sum(value) OVER d - value) / nullif(count(value) OVER d - 1, 0) AS others
                  FROM (SELECT w."date", {label} AS source, w."{metric}"::DOUBLE AS value
                        FROM openfit.wellness_daily_by_source w {join}
                        WHERE CAST(w.athlete_id AS VARCHAR) = ? AND w."date" BETWEEN ? AND ?
                          AND w."{metric}" IS NOT NULL)
                  WINDOW d AS (PARTITION BY "date"))
            ORDER BY "date", source""",
        [str(athlete_id), start, end],
    )


# ------------------------------------------------------------------------------------------------ correlations


def daily_series(cur: Cursor, athlete_id: str, start: date, end: date) -> pd.DataFrame:
    """One row per day with every numeric daily series: marts.daily_athlete_summary when built, else a join of
    wellness_daily (the chosen values), daily activity totals and daily_training_load when present."""
    check_range(start, end)
    params = [str(athlete_id), start, end]
    if cur.has_table("marts", "daily_athlete_summary"):
        return _frame(
            cur,
            "SELECT * EXCLUDE (athlete_id) FROM marts.daily_athlete_summary "
            'WHERE CAST(athlete_id AS VARCHAR) = ? AND "date" BETWEEN ? AND ? ORDER BY "date"',
            params,
        )
    parts, joins, all_params = [], [], []
    if cur.has_table("openfit", "wellness_daily"):
        metrics = [c for c in WELLNESS_METRICS if c in cur.columns("openfit", "wellness_daily")]
        parts.append(
            (
                "w",
                f'SELECT "date", {", ".join(f"avg({c}) AS {c}" for c in metrics)} FROM openfit.wellness_daily '
                'WHERE CAST(athlete_id AS VARCHAR) = ? AND "date" BETWEEN ? AND ? GROUP BY "date"',
            )
        )
    if cur.has_table("openfit", "activities"):
        parts.append(
            (
                "a",
                'SELECT local_date AS "date", sum(duration_s) / 3600.0 AS training_h, '
                "sum(distance_m) / 1000.0 AS distance_km FROM openfit.activities "
                "WHERE CAST(athlete_id AS VARCHAR) = ? AND local_date BETWEEN ? AND ? GROUP BY 1",
            )
        )
    if cur.has_table("marts", "daily_training_load"):
        parts.append(
            (
                "t",
                'SELECT "date", "load", ctl, atl, tsb FROM marts.daily_training_load '
                'WHERE CAST(athlete_id AS VARCHAR) = ? AND "date" BETWEEN ? AND ?',
            )
        )
    if not parts:
        raise NotBuiltYet(
            "openfit.wellness_daily is not in the published snapshot yet", {"table": "openfit.wellness_daily"}
        )
    days = 'SELECT d::DATE AS "date" FROM range(?::DATE, ?::DATE + INTERVAL 1 DAY, INTERVAL 1 DAY) r(d)'
    for alias, sql in parts:
        joins.append(f'LEFT JOIN ({sql}) {alias} USING ("date")')
        all_params += params
    return _frame(
        cur, f'SELECT * FROM ({days}) days {" ".join(joins)} ORDER BY "date"', [start, end, *all_params]
    )


# ------------------------------------------------------------------------------------------------ data health


def table_rows(cur: Cursor) -> pd.DataFrame:
    """Rows per published table as recorded by the publish step (meta.table_rows)."""
    require_table(cur, "meta", "table_rows")
    return _frame(cur, "SELECT table_name, row_count FROM meta.table_rows ORDER BY table_name")


def source_freshness(cur: Cursor) -> pd.DataFrame:
    """Per source and table: rows and the newest record, plus its age in hours at publish time."""
    require_table(cur, "meta", "source_freshness")
    built = "(SELECT max(built_at) FROM meta.build_info)" if cur.has_table("meta", "build_info") else "now()"
    return _frame(
        cur,
        f"SELECT source, table_name, row_count, newest_record, "
        f"date_diff('minute', newest_record::TIMESTAMPTZ, {built}::TIMESTAMPTZ) / 60.0 AS age_h "
        "FROM meta.source_freshness ORDER BY source, table_name",
    )


def _find_table(cur: Cursor, needles: tuple[str, ...], required_column: str) -> tuple[str, str] | None:
    for schema, name in sorted(cur.tables):
        if (
            schema in ("openfit", "meta", "marts")
            and any(n in name for n in needles)
            and required_column in cur.columns(schema, name)
        ):
            return schema, name
    return None


def quarantined_files(cur: Cursor) -> pd.DataFrame:
    """Files the importer quarantined or only partly loaded, with the reason (from the file-import log)."""
    found = _find_table(cur, ("file_import", "import_log", "file_log"), "status")
    if found is None:
        raise NotBuiltYet(
            "the file-import log is not in the published snapshot yet", {"table": "file import log"}
        )
    schema, name = found
    cols = cur.columns(schema, name)
    wanted = [
        c
        for c in (
            "imported_at",
            "original_name",
            "source_archive",
            "format",
            "status",
            "reason",
            "parser",
            "records",
            "sha256",
        )
        if c in cols
    ]
    order = '"imported_at" DESC' if "imported_at" in cols else "1"
    return _frame(
        cur,
        f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in wanted)} FROM {schema}."{name}" '
        "WHERE lower(CAST(status AS VARCHAR)) IN ('quarantined', 'partial') "
        f"ORDER BY {order} LIMIT 500",
    )


def withheld_athletes(cur: Cursor) -> pd.DataFrame:
    """Athletes whose new data a failing blocking test kept out of this snapshot, with the test and its failing
    rows (empty when nobody is withheld, or in a snapshot published before withholding existed)."""
    if ("meta", "withheld") not in cur.tables:
        return pd.DataFrame(columns=["athlete_id", "test", "failing_rows"])
    return _frame(cur, "SELECT athlete_id, test, failing_rows FROM meta.withheld ORDER BY ALL")


def failed_checks(cur: Cursor) -> pd.DataFrame:
    """Data-quality checks that did not pass in the build that produced this snapshot."""
    found = _find_table(cur, ("quality", "check"), "status")
    if found is None:
        raise NotBuiltYet(
            "no data-quality results are in the published snapshot yet", {"table": "quality checks"}
        )
    schema, name = found
    return _frame(
        cur,
        f'SELECT * FROM {schema}."{name}" WHERE lower(CAST(status AS VARCHAR)) '
        "NOT IN ('passed', 'pass', 'success', 'ok') LIMIT 500",
    )
