"""Fitness estimates per athlete and activity date, over a trailing window of days (SUGGESTIONS only).

For each date with an activity, the best per-activity efforts of the trailing `estimates_window_days` days are
combined (the envelope: per duration/distance, the best of the window's activities) and handed to analytics:
- eFTP = `analytics.eftp_from_curve` (0.95 × best 20-min power, cycling);
- CP and W' = `analytics.critical_power_from_curve` (2-parameter fit over the 2-20 min points); null when the
  curve has too few points or the fit is not physiological (analytics raises; the reason goes to cp_note);
- CP3, W'3 and Pmax = `analytics.critical_power_3p_from_curve` (Morton's 3-parameter fit over the 1-20 min
  points), beside the 2-parameter fit; null when the points do not define three parameters (analytics raises; the
  reason goes to cp3_note);
- VDOT = the highest `analytics.vdot` over the window's running best efforts lasting 3.5 min to 4 h (the range
  the Daniels-Gilbert curve is validated on), and VO2max = `analytics.vo2max_from_race` of that same effort.
Nothing here is ever written to athlete_thresholds: a threshold change is the athlete's decision.

Incremental: a date's estimates depend only on the efforts inside its window, so each row keeps a digest of those
inputs (`inputs_digest`) and an incremental build reuses the row of every date whose digest is unchanged; only
the dates whose window gained, lost or changed an effort are fitted again (a new day refits at most a window's
dates, not the athlete's whole history: the fits were ~5 s of a 2-year athlete's new day). The digest covers the
method string (window, CP method), so a setting change refits too; a code change rebuilds in full anyway.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import numpy as np
import polars as pl

import analytics

VDOT_MIN_S, VDOT_MAX_S = 210.0, 14400.0  # Daniels-Gilbert curve validated from ~3.5 min (1500 m) to ~4 h


def _envelope(curves: np.ndarray) -> np.ndarray | None:
    """Per duration, the best value of the window's activities (rows); None when no activity has any."""
    if curves.size == 0 or np.isnan(curves).all():
        return None
    return np.fmax.reduce(curves, axis=0)  # fmax ignores NaN: NaN only where no activity has that duration


def _power_estimates(durations: np.ndarray, best: np.ndarray | None, cp_method: str) -> dict:
    out = {
        "eftp_w": None,
        "cp_w": None,
        "w_prime_j": None,
        "cp_rmse_w": None,
        "cp_points": None,
        "cp_note": None,
        "cp3_w": None,
        "w_prime3_j": None,
        "pmax3_w": None,
        "cp3_rmse_w": None,
        "cp3_points": None,
        "cp3_note": None,
    }
    if best is None:
        return out
    curve = analytics.MeanMaxCurve(
        durations_s=durations, values=best, start_s=np.zeros(durations.size, np.int64)
    )
    out["eftp_w"] = analytics.eftp_from_curve(curve).value
    try:
        fit = analytics.critical_power_from_curve(curve, method=cp_method)
    except ValueError as err:
        out["cp_note"] = str(err)
    else:
        out |= {
            "cp_w": fit.cp_w,
            "w_prime_j": fit.w_prime_j,
            "cp_rmse_w": fit.rmse_w,
            "cp_points": fit.n_points,
        }
    try:
        fit3 = analytics.critical_power_3p_from_curve(curve)
    except ValueError as err:
        out["cp3_note"] = str(err)
    else:
        out |= {
            "cp3_w": fit3.cp_w,
            "w_prime3_j": fit3.w_prime_j,
            "pmax3_w": fit3.pmax_w,
            "cp3_rmse_w": fit3.rmse_w,
            "cp3_points": fit3.n_points,
        }
    return out


def _best_vdot(distances: list[float], times: list[float | None]) -> tuple[float, float, float] | None:
    """The highest VDOT among one run's best efforts lasting VDOT_MIN_S..VDOT_MAX_S, as (vdot, m, s)."""
    best = None
    for distance_m, time_s in zip(distances, times, strict=True):
        if time_s is None or not VDOT_MIN_S <= time_s <= VDOT_MAX_S:
            continue
        try:
            value = analytics.vdot(distance_m, time_s)
        except ValueError:  # slower than the oxygen-cost curve covers (a walk): not a running effort
            continue
        if best is None or value > best[0]:
            best = (value, distance_m, time_s)
    return best


def _run_estimates(best: tuple[float, float, float] | None) -> dict:
    if best is None:
        return {"vdot": None, "vo2max": None, "vdot_distance_m": None, "vdot_time_s": None}
    return {"vdot": best[0], "vo2max": analytics.vo2max_from_race(best[1], best[2]),
            "vdot_distance_m": best[1], "vdot_time_s": best[2]}  # fmt: skip


def _window(dates: np.ndarray, start, day) -> slice:
    """Rows of a date-sorted array inside [start, day]."""
    lo = np.searchsorted(dates, np.datetime64(start, "D"), side="left")
    hi = np.searchsorted(dates, np.datetime64(day, "D"), side="right")
    return slice(int(lo), int(hi))


def _inputs_digest(method: str, durations: np.ndarray, ride_curves: np.ndarray, run_best: list) -> str:
    """The window's inputs to one date's estimates: the method, the ride curves and the runs' best efforts."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (method.encode(), durations.tobytes(), ride_curves.tobytes(), repr(run_best).encode()):
        digest.update(len(part).to_bytes(8, "little") + part)
    return digest.hexdigest()


def _reusable_rows(dbt, session, athletes: list[str] | None) -> dict:
    """(athlete_id, date) -> the row this table already holds, for the athletes this build recomputes."""
    if not dbt.is_incremental:
        return {}
    if athletes is None:
        existing = session.execute(f"select * from {dbt.this}").pl()
    else:
        existing = session.execute(
            f"select * from {dbt.this} where list_contains($athletes, athlete_id)", {"athletes": athletes}
        ).pl()
    if "inputs_digest" not in existing.columns:
        return {}
    return {(row["athlete_id"], row["date"]): row for row in existing.iter_rows(named=True)}


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="replace_changed",
        replace_predicate="marts_athletes_predicate",
        # "ignore": a build whose athletes are none returns empty columns of another type (the insert casts
        # them); a change of the columns changes the project, which forces a full build anyway.
        on_schema_change="ignore",
        schema="marts_compute",
    )
    # Incremental: only the athletes this build recomputes (int_marts_athletes; "*" = every athlete).
    scope = dbt.ref("int_marts_athletes").pl()["athlete_id"] if dbt.is_incremental else None
    athletes = None if scope is None or "*" in scope else scope.to_list()
    window_days = int(dbt.config.get("estimates_window_days"))
    if window_days < 1:
        raise ValueError(f"estimates_window_days must be >= 1, got {window_days}")
    cp_method = analytics.choose("cp_fit", dbt.config.get("algo_cp_fit"))
    current = dbt.ref("activities").select("activity_id")  # the scores table may hold removed activities
    scores = (
        dbt.ref("activity_scores_computed")
        .join(current, "activity_id", how="semi")
        .select(
            "athlete_id, local_date, activity_id, sport, power_curve_durations_s, power_curve_w, "
            "best_effort_distances_m, best_effort_s"
        )
        .order("athlete_id, local_date, activity_id")  # a fixed order: the same inputs, the same digest
        .pl()
    )
    if athletes is not None:
        scores = scores.filter(pl.col("athlete_id").is_in(athletes))
    reusable = _reusable_rows(dbt, session, athletes)
    rows = []
    method = (
        f"eftp=20min;cp={cp_method} 120-1200s;cp3=morton_3p 60-1200s;vdot=daniels_gilbert best effort;"
        f"window={window_days}d"
    )
    for (athlete,), acts in scores.group_by("athlete_id", maintain_order=True):
        rides = acts.filter(pl.col("sport") == "cycling")
        runs = acts.filter(pl.col("sport") == "running")
        durations = np.asarray(analytics.STANDARD_DURATIONS, dtype=np.int64)
        if rides.height:
            durations = np.asarray(rides["power_curve_durations_s"][0], dtype=np.int64)
        ride_dates = rides["local_date"].to_numpy().astype("datetime64[D]")
        ride_curves = np.array(
            [[np.nan if v is None else v for v in c] for c in rides["power_curve_w"].to_list()], dtype=float
        ).reshape(rides.height, durations.size)
        run_dates = runs["local_date"].to_numpy().astype("datetime64[D]")
        run_best = [
            _best_vdot(d, t) for d, t in runs.select("best_effort_distances_m", "best_effort_s").rows()
        ]
        for day in acts["local_date"].unique().sort().to_list():
            start = day - timedelta(days=window_days - 1)
            window_curves = ride_curves[_window(ride_dates, start, day)]
            in_window = [b for b in run_best[_window(run_dates, start, day)] if b is not None]
            digest = _inputs_digest(method, durations, window_curves, in_window)
            kept = reusable.get((athlete, day))
            if kept is not None and kept["inputs_digest"] == digest:
                rows.append(kept)
                continue
            row = {"athlete_id": athlete, "date": day, "window_start": start, "window_days": window_days,
                   **_power_estimates(durations, _envelope(window_curves), cp_method),
                   **_run_estimates(max(in_window, default=None)),
                   "method": method, "cp_method": cp_method, "inputs_digest": digest}  # fmt: skip
            if any(row[k] is not None for k in ("eftp_w", "cp_w", "vdot")):
                rows.append(row)
    schema = {
        "athlete_id": pl.String, "date": pl.Date, "window_start": pl.Date, "window_days": pl.Int64,
        "eftp_w": pl.Float64, "cp_w": pl.Float64, "w_prime_j": pl.Float64, "cp_rmse_w": pl.Float64,
        "cp_points": pl.Int64, "cp_note": pl.String, "cp3_w": pl.Float64, "w_prime3_j": pl.Float64,
        "pmax3_w": pl.Float64, "cp3_rmse_w": pl.Float64, "cp3_points": pl.Int64, "cp3_note": pl.String, "vdot": pl.Float64, "vo2max": pl.Float64,
        "vdot_distance_m": pl.Float64, "vdot_time_s": pl.Float64, "method": pl.String, "cp_method": pl.String,
        "inputs_digest": pl.String,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema)
