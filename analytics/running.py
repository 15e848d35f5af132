"""Running: grade-adjusted pace, rTSS, VDOT (Daniels–Gilbert) and Riegel race prediction.

Streams are 1 Hz (see `analytics.streams`); speed in m/s, distance and altitude in m, pace in s/km.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._common import Metric, as_float_array, choose, positive
from .power import _rolling_sums

# ------------------------------------------------------------------------------------ grade adjustment
MINETTI_COEFFICIENTS = (155.4, -30.4, -43.3, 46.3, 19.5, 3.6)  # i^5 .. i^0, J·kg⁻¹·m⁻¹
MINETTI_MAX_GRADE = 0.45  # the range of the measurements in Minetti et al. 2002
GRADE_HALF_WINDOW_S = 5  # grade over a centred 10-s window: GPS/baro altitude is too noisy per second
GRADE_MIN_RUN_M = 3.0  # below this horizontal distance in the window the grade is taken as 0


def minetti_cost(grade) -> np.ndarray:
    """Energy cost of running (J·kg⁻¹·m⁻¹) at gradient i (rise/run, a fraction), Minetti et al. 2002,
    J Appl Physiol 93:1039-1046: C(i) = 155.4i⁵ − 30.4i⁴ − 43.3i³ + 46.3i² + 19.5i + 3.6.
    The gradient is clipped to ±0.45, the measured range. C(0) = 3.6."""
    i = np.clip(np.asarray(grade, dtype=np.float64), -MINETTI_MAX_GRADE, MINETTI_MAX_GRADE)
    return np.polyval(MINETTI_COEFFICIENTS, i)


def grade_from_altitude(altitude_m, distance_m=None, speed_mps=None) -> np.ndarray:
    """Gradient (fraction) per second: Δaltitude/Δdistance over a centred 10-s window.

    Distance comes from `distance_m` (cumulative, m) or, if absent, the cumulative sum of `speed_mps`.
    Seconds where the window covers < 3 m horizontally (standing) get grade 0; NaN where altitude or
    distance is missing.
    """
    alt = as_float_array(altitude_m, "altitude_m")
    if distance_m is not None:
        dist = as_float_array(distance_m, "distance_m")
    elif speed_mps is not None:
        dist = np.cumsum(np.nan_to_num(as_float_array(speed_mps, "speed_mps")))
    else:
        raise ValueError("grade_from_altitude needs distance_m or speed_mps")
    if dist.size != alt.size:
        raise ValueError("altitude and distance streams differ in length")
    n = alt.size
    idx = np.arange(n)
    hi = np.minimum(idx + GRADE_HALF_WINDOW_S, n - 1)
    lo = np.maximum(idx - GRADE_HALF_WINDOW_S, 0)
    run = dist[hi] - dist[lo]
    rise = alt[hi] - alt[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        grade = np.where(run >= GRADE_MIN_RUN_M, rise / run, 0.0)
    grade[np.isnan(run) | np.isnan(rise)] = np.nan
    return grade


def grade_adjusted_speed(speed_mps, grade=None, model: str = "minetti") -> np.ndarray:
    """Flat-equivalent speed (m/s) with the same metabolic power: v_gap = v · C(i)/C(0).

    "minetti" (default; Minetti et al. 2002 energy-cost polynomial); "none": v unchanged.
    Seconds with speed but no grade (NaN) are taken as flat.
    """
    model = choose("gap", model)
    v = as_float_array(speed_mps, "speed_mps")
    if np.nanmin(v, initial=0.0) < 0:
        raise ValueError("speed_mps contains negative values")
    if model == "none" or grade is None:
        return v
    g = as_float_array(grade, "grade")
    if g.size != v.size:
        raise ValueError("speed and grade streams differ in length")
    cost = minetti_cost(np.nan_to_num(g, nan=0.0))
    return v * cost / MINETTI_COEFFICIENTS[-1]


def pace_to_speed(pace_s_per_km: float) -> float:
    """m/s from s/km."""
    return 1000.0 / positive(pace_s_per_km, "pace_s_per_km")


def rtss(
    speed_mps,
    threshold_pace_s_per_km: float,
    grade=None,
    method: str = "mean_gap",
    gap_model: str = "minetti",
) -> Metric:
    """Running TSS = hours · IF² · 100, IF = session grade-adjusted speed / threshold speed
    (= threshold pace / session pace). TrainingPeaks, "rTSS explained".

    Session speed (`method`): "mean_gap" (default) the mean grade-adjusted speed over recorded seconds;
    "normalized_gap" the NP-style 4th-power mean of 30-s rolling grade-adjusted speed (an open stand-in
    for TrainingPeaks' proprietary NGP). Grade adjustment by `gap_model` (Minetti 2002) when `grade`
    is given. Hours = recorded seconds with a speed reading / 3600. Example: 30 min at 5:00/km with
    threshold 4:30/km → IF 0.9, rTSS 40.5. Returns Metric(None) when no speed reading exists.
    """
    method = choose("rtss_pace", method)
    threshold = pace_to_speed(threshold_pace_s_per_km)
    v = grade_adjusted_speed(speed_mps, grade, gap_model)
    params = {
        "threshold_pace_s_per_km": threshold_pace_s_per_km,
        "gap_model": gap_model if grade is not None else "none",
    }
    valid = v[~np.isnan(v)]
    if valid.size == 0:
        return Metric(None, method, "TSS", params)
    if method == "mean_gap":
        session = float(valid.mean())
    else:
        if v.size < 30:
            return Metric(None, method, "TSS", params)
        sums, ok = _rolling_sums(v, 30)
        r = sums / 30 if ok is None else sums[ok] / 30
        if r.size == 0:
            return Metric(None, method, "TSS", params)
        session = float(np.mean(r**4) ** 0.25)
    if_ = session / threshold
    params |= {"if": if_, "session_speed_mps": session}
    return Metric(valid.size / 3600.0 * if_ * if_ * 100.0, method, "TSS", params)


# ------------------------------------------------------------------------------------------- VDOT


def _oxygen_cost(v_m_per_min: float) -> float:
    return -4.60 + 0.182258 * v_m_per_min + 0.000104 * v_m_per_min**2


def _fraction_vo2max(t_min: float) -> float:
    return 0.8 + 0.1894393 * math.exp(-0.012778 * t_min) + 0.2989558 * math.exp(-0.1932605 * t_min)


def vdot(distance_m: float, time_s: float) -> float:
    """Daniels–Gilbert VDOT (ml·kg⁻¹·min⁻¹) of a race: VDOT = VO2(v) / %max(t).

    VO2 = −4.60 + 0.182258·v + 0.000104·v² (v in m/min);
    %max = 0.8 + 0.1894393·e^(−0.012778·t) + 0.2989558·e^(−0.1932605·t) (t in min).
    5 km in 20:00 → 49.806. Validated on race efforts of about 3.5 min to 4 h (1500 m to marathon).
    Citation: Daniels & Gilbert, Oxygen Power (1979); Daniels' Running Formula.
    """
    d = positive(distance_m, "distance_m")
    t_min = positive(time_s, "time_s") / 60.0
    vo2 = _oxygen_cost(d / t_min)
    if vo2 <= 0:
        raise ValueError(f"{d} m in {time_s} s is too slow for the Daniels oxygen-cost curve")
    return vo2 / _fraction_vo2max(t_min)


def race_time_from_vdot(
    vdot_value: float, distance_m: float, tol_s: float = 1e-6, max_iter: int = 50
) -> float:
    """Equivalent race time (s) for `distance_m` at a given VDOT: solves vdot(d, t) = VDOT for t by
    Newton–Raphson, starting at t0 = d / vVDOT / 0.9, vVDOT = 29.54 + 5.000663·VDOT − 0.007546·VDOT²
    (m/min) — GoldenCheetah VDOTCalculator.cpp eqvTime. Daniels & Gilbert (1979)."""
    target = positive(vdot_value, "vdot_value")
    d = positive(distance_m, "distance_m")
    v_vdot = 29.54 + 5.000663 * target - 0.007546 * target**2
    if v_vdot <= 0:
        raise ValueError(f"VDOT {target} is outside the Daniels curve")
    t = d / v_vdot / 0.9  # minutes
    for _ in range(max_iter):
        v = d / t
        frac = _fraction_vo2max(t)
        f = _oxygen_cost(v) - target * frac
        dv_dt = -d / t**2
        dcost = (0.182258 + 2 * 0.000104 * v) * dv_dt
        dfrac = -0.012778 * 0.1894393 * math.exp(-0.012778 * t) - 0.1932605 * 0.2989558 * math.exp(
            -0.1932605 * t
        )
        step = f / (dcost - target * dfrac)
        t -= step
        if t <= 0:
            raise ValueError(f"Newton–Raphson left the valid range for VDOT {target}, {d} m")
        if abs(step) * 60 < tol_s:
            return t * 60.0
    raise ValueError(f"equivalent time did not converge for VDOT {target}, {d} m")


def riegel(time_s: float, distance_m: float, target_distance_m: float, exponent: float = 1.06) -> float:
    """Riegel race prediction (s): T2 = T1 · (D2/D1)^1.06. Riegel 1981, American Scientist 69:285-290.
    10 km in 41:21 → marathon 11413 s (3:10:13)."""
    t1 = positive(time_s, "time_s")
    return t1 * (
        positive(target_distance_m, "target_distance_m") / positive(distance_m, "distance_m")
    ) ** positive(exponent, "exponent")


# ------------------------------------------------------------------------------------- race predictions

# Daniels' race-equivalence tables (Daniels' Running Formula) cover 1500 m to the marathon; the VDOT curves were
# fitted on races of about 3.5 min to 4 h. Outside that, an equivalent time is an extrapolation.
VDOT_VALID_DISTANCE_M = (1500.0, 42195.0)
# Riegel (1981) states the endurance equation for running events of about 3.5 to 230 minutes; both the known
# performance and the predicted one must lie in it.
RIEGEL_VALID_TIME_S = (3.5 * 60.0, 230.0 * 60.0)
RIEGEL_EXPONENT = 1.06
# Targets athletes race: the mile to the marathon (the range both methods were stated for).
RACE_TARGET_DISTANCES_M: tuple[float, ...] = (1609.344, 3000.0, 5000.0, 10000.0, 15000.0, 21097.5, 42195.0)


def predict_race_times(
    distance_m: float,
    time_s: float,
    targets_m=RACE_TARGET_DISTANCES_M,
    riegel_exponent: float = RIEGEL_EXPONENT,
) -> list[dict]:
    """Race-time predictions from one effort (distance_m in time_s) for every target distance, by both methods,
    each with whether it lies in that method's stated range of validity (the prediction is still given).

    Per target: vdot (of the source effort, ml·kg⁻¹·min⁻¹), vdot_time_s (`race_time_from_vdot`),
    vdot_in_range (source and target distance within VDOT_VALID_DISTANCE_M), riegel_time_s (`riegel`),
    riegel_in_range (source and predicted time within RIEGEL_VALID_TIME_S). The target equal to the source
    distance is skipped. An effort too slow for the Daniels oxygen-cost curve has no VDOT (None).
    """
    d = positive(distance_m, "distance_m")
    t = positive(time_s, "time_s")
    try:
        source_vdot: float | None = vdot(d, t)
    except ValueError:
        source_vdot = None
    lo_d, hi_d = VDOT_VALID_DISTANCE_M
    lo_t, hi_t = RIEGEL_VALID_TIME_S
    out = []
    for target in targets_m:
        target = float(target)
        if math.isclose(target, d):
            continue
        vdot_time = race_time_from_vdot(source_vdot, target) if source_vdot is not None else None
        riegel_time = riegel(t, d, target, riegel_exponent)
        out.append({
            "target_distance_m": target,
            "vdot": source_vdot,
            "vdot_time_s": vdot_time,
            "vdot_in_range": source_vdot is not None and lo_d <= d <= hi_d and lo_d <= target <= hi_d,
            "riegel_exponent": float(riegel_exponent),
            "riegel_time_s": riegel_time,
            "riegel_in_range": lo_t <= t <= hi_t and lo_t <= riegel_time <= hi_t,
        })  # fmt: skip
    return out


# ------------------------------------------------------------------------------------- best efforts

STANDARD_RACE_DISTANCES_M: tuple[float, ...] = (
    400.0, 1000.0, 1609.344, 3000.0, 5000.0, 10000.0, 15000.0, 21097.5, 42195.0,
)  # fmt: skip


@dataclass(frozen=True)
class BestEfforts:
    """Fastest time (s) to cover each distance (m); NaN / start -1 when no gap-free stretch is that long."""

    distances_m: np.ndarray
    times_s: np.ndarray
    start_s: np.ndarray

    def as_dict(self) -> dict[float, float | None]:
        return {
            float(d): (None if math.isnan(t) else float(t))
            for d, t in zip(self.distances_m, self.times_s, strict=True)
        }


def best_efforts(distance_m, distances_m=STANDARD_RACE_DISTANCES_M) -> BestEfforts:
    """Best efforts by distance (the pace curve's race view) from a 1 Hz cumulative distance stream.

    For each target d: min over start seconds i of (j − i), j the first second with D[j] − D[i] >= d,
    found for all i at once by binary search on the non-decreasing distance: O(n log n) per distance.
    An effort may not span a gap (NaN second), the same rule as the power curve. Times are whole
    seconds of the 1 Hz grid (no sub-second interpolation).
    """
    dist = as_float_array(distance_m, "distance_m")
    targets = as_float_array(distances_m, "distances_m", allow_nan=False)
    if (targets <= 0).any():
        raise ValueError("distances_m must be > 0")
    nan = np.isnan(dist)
    filled = dist.copy()
    if nan.any():
        # Forward-fill so the array stays sortable; efforts crossing a NaN are rejected below.
        idx = np.where(nan, 0, np.arange(dist.size))
        np.maximum.accumulate(idx, out=idx)
        filled = dist[idx]
        filled[np.isnan(filled)] = -np.inf  # leading NaN
    if (np.diff(filled[np.isfinite(filled)]) < -1e-6).any():
        raise ValueError("distance_m must be cumulative (non-decreasing)")
    filled = np.maximum.accumulate(filled)  # absorb float noise
    nan_before = np.concatenate(([0], np.cumsum(nan)))
    starts = np.arange(dist.size)
    times = np.full(targets.size, np.nan)
    first = np.full(targets.size, -1, dtype=np.int64)
    for k, d in enumerate(targets.tolist()):
        ends = np.searchsorted(filled, filled + d, side="left")
        ok = (ends < dist.size) & ~nan
        ok[ok] &= (nan_before[ends[ok] + 1] - nan_before[starts[ok]]) == 0
        if ok.any():
            durations = np.where(ok, ends - starts, np.iinfo(np.int64).max)
            i = int(np.argmin(durations))
            times[k], first[k] = float(durations[i]), i
    return BestEfforts(targets, times, first)
