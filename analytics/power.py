"""Cycling power metrics on a 1 Hz grid (NaN = gap; see `analytics.streams`).

Sources: Allen & Coggan, *Training and Racing with a Power Meter* (NP, IF, TSS, VI, FTP tests);
Monod & Scherrer 1965 / Moritani 1981 (critical power); Morton 1996 Ergonomics 39:611 (3-parameter CP); Skiba et al. 2012 MSSE 44:1526 (W'bal integral);
Skiba et al. 2015 Eur J Appl Physiol 115:703 (W'bal differential).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._common import Metric, as_float_array, choose, non_negative, positive

# Standard mean-maximal durations (s) used for curves, records and CP fits.
STANDARD_DURATIONS: tuple[int, ...] = (
    1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 360, 480, 600, 720, 900,
    1200, 1800, 2400, 3600, 5400, 7200, 10800,
)  # fmt: skip

NP_WINDOW_S = 30


def _power(power, name: str = "power") -> np.ndarray:
    arr = as_float_array(power, name)
    if np.nanmin(arr, initial=0.0) < 0:
        raise ValueError(f"{name} contains negative values")
    return arr


def _rolling_sums(values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Sums of every full window of `window` samples, and a mask of windows free of NaN (None = all)."""
    nan = np.isnan(values)
    any_nan = bool(nan.any())
    clean = np.where(nan, 0.0, values) if any_nan else values
    c = np.empty(values.size + 1)
    c[0] = 0.0
    np.cumsum(clean, out=c[1:])
    sums = c[window:] - c[:-window]
    if not any_nan:
        return sums, None
    cn = np.concatenate(([0], np.cumsum(nan)))
    return sums, (cn[window:] - cn[:-window]) == 0


def normalized_power(power, method: str = "valid_windows", window_s: int = NP_WINDOW_S) -> Metric:
    """Normalized Power (W) of a 1 Hz power stream.

    NP = ( mean_i( r_i^4 ) )^(1/4), r_i = mean power of the 30-s window ending at sample i.
    Variants (`method`), which differ in which windows count:
      - "valid_windows" (default; Coggan/TrainingPeaks): only full windows, i.e. starting at the 30-s
        mark; a window containing a gap (NaN) is excluded.
      - "zero_padded" (GoldenCheetah Coggan.cpp): zero-initialised ring buffer, r_i = sum/30 for every
        sample, averaged over all n samples (biased low; 250 W for 1 h gives 249.59 W).
      - "expanding" (sweatpy): rolling(30, min_periods=1), the first 29 r_i are expanding means.
      - "window_p4" (Pierre compatibility; NOT Normalized Power): mean of p^4 inside each full window.
    The compatibility variants see the recorded samples with gaps removed (concatenated).
    NP >= the mean of the 30-s rolling means always; NP >= average power only when the first and last
    30 s are not exceptional (a spike in second 1 sits in one window: 10 kW then 59 s at 0 → NP < avg).
    Returns Metric(value=None) when no window qualifies (e.g. fewer than 30 valid seconds).
    Units: W. Citation: Allen & Coggan (2010), Training and Racing with a Power Meter, 2nd ed.
    """
    method = choose("np", method)
    p = _power(power)
    w = int(window_s)
    if w < 1:
        raise ValueError(f"window_s must be >= 1, got {window_s}")
    params = {"window_s": w}
    if method == "valid_windows":
        sums, ok = _rolling_sums(p, w) if p.size >= w else (np.empty(0), None)
        r = sums / w if ok is None else sums[ok] / w
        if r.size == 0:
            return Metric(None, method, "W", params)
        r2 = r * r
        return Metric(float(np.mean(r2 * r2) ** 0.25), method, "W", params)
    p = p[~np.isnan(p)]
    if p.size == 0:
        return Metric(None, method, "W", params)
    if method == "window_p4":
        if p.size < w:
            return Metric(None, method, "W", params)
        p2 = p * p
        sums, _ = _rolling_sums(p2 * p2, w)
        return Metric(float(np.mean(sums / w) ** 0.25), method, "W", params)
    c = np.concatenate(([0.0], np.cumsum(p)))
    idx = np.arange(1, p.size + 1)
    lo = np.clip(idx - w, 0, None)
    window_sum = c[idx] - c[lo]
    # zero_padded divides by the full window even before 30 samples exist; expanding by what exists.
    r = window_sum / w if method == "zero_padded" else window_sum / (idx - lo)
    r2 = r * r
    return Metric(float(np.mean(r2 * r2) ** 0.25), method, "W", params)


def average_power(power) -> float | None:
    """Mean power (W) over recorded seconds (NaN gaps excluded; zeros while coasting included)."""
    p = _power(power)
    valid = p[~np.isnan(p)]
    return float(valid.mean()) if valid.size else None


def intensity_factor(np_w: float, ftp_w: float) -> float:
    """IF = NP / FTP (dimensionless). Allen & Coggan."""
    return non_negative(np_w, "np_w") / positive(ftp_w, "ftp_w")


def tss(duration_s: float, np_w: float, ftp_w: float) -> float:
    """Training Stress Score = (t_s · NP · IF) / (FTP · 3600) · 100 = hours · IF² · 100. Not rounded.

    duration_s: the full duration of the power data (count of valid 1 Hz samples), s. np_w, ftp_w: W.
    One hour at FTP scores exactly 100. Citation: Allen & Coggan (2010).
    """
    duration_s = non_negative(duration_s, "duration_s")
    if_ = intensity_factor(np_w, ftp_w)
    return duration_s / 3600.0 * if_ * if_ * 100.0


def variability_index(np_w: float, avg_power_w: float) -> float | None:
    """VI = NP / average power (dimensionless); None when average power is 0. Allen & Coggan."""
    avg = non_negative(avg_power_w, "avg_power_w")
    return None if avg == 0 else non_negative(np_w, "np_w") / avg


@dataclass(frozen=True)
class MeanMaxCurve:
    """Best mean value over each duration. `values[i]` is NaN (and `start_s[i]` -1) when the stream has no
    gap-free stretch of `durations_s[i]` seconds."""

    durations_s: np.ndarray
    values: np.ndarray
    start_s: np.ndarray

    def as_dict(self) -> dict[int, float | None]:
        return {
            int(d): (None if math.isnan(v) else float(v))
            for d, v in zip(self.durations_s, self.values, strict=True)
        }

    def at(self, duration_s: int) -> float | None:
        hit = np.nonzero(self.durations_s == duration_s)[0]
        if hit.size == 0:
            raise ValueError(
                f"duration {duration_s} s is not on this curve; durations: {self.durations_s.tolist()}"
            )
        v = self.values[hit[0]]
        return None if math.isnan(v) else float(v)


def mean_max(values, durations_s=STANDARD_DURATIONS) -> MeanMaxCurve:
    """Mean-maximal curve: for each duration d, max over gap-free windows of mean(values[i:i+d]).

    Works for power (W; the power curve) and speed (m/s; the pace curve). O(n·k) with one cumulative
    sum: each duration is a vector difference and an argmax. Windows containing a NaN second are
    skipped, so a best effort never spans a pause. Values are the true best averages, not a monotone
    envelope: MMP(k·d) <= MMP(d) always holds for whole multiples k (a k·d window splits into k
    d-windows), but a longer non-multiple duration can, rarely, exceed a shorter one ([5, 1, 5] W:
    best 2 s = 3 W, best 3 s = 3.67 W).
    Citation: the "mean maximal power" curve, Allen & Coggan (2010); GoldenCheetah RideFileCache.
    """
    v = as_float_array(values, "values")
    d = np.asarray(durations_s, dtype=np.int64)
    if d.ndim != 1 or d.size == 0 or (d < 1).any():
        raise ValueError("durations_s must be a non-empty list of positive whole seconds")
    nan = np.isnan(v)
    any_nan = bool(nan.any())
    c = np.empty(v.size + 1)
    c[0] = 0.0
    np.cumsum(np.where(nan, 0.0, v) if any_nan else v, out=c[1:])
    cn = np.concatenate(([0], np.cumsum(nan))) if any_nan else None
    out = np.full(d.size, np.nan)
    start = np.full(d.size, -1, dtype=np.int64)
    for j, w in enumerate(d.tolist()):
        if w > v.size:
            continue
        sums = c[w:] - c[:-w]
        if cn is not None:
            sums = np.where((cn[w:] - cn[:-w]) == 0, sums, -np.inf)
        i = int(np.argmax(sums))
        if np.isfinite(sums[i]):
            out[j] = sums[i] / w
            start[j] = i
    return MeanMaxCurve(durations_s=d, values=out, start_s=start)


power_curve = mean_max

FTP_TEST_FACTORS = {"20min": 0.95, "8min": 0.90, "ramp": 0.75}


def ftp_from_test(power_w: float, test: str = "20min") -> Metric:
    """FTP (W) from a field test.

    "20min": 0.95 × average power of a 20-min all-out effort (Allen & Coggan).
    "8min":  0.90 × average power of an 8-min effort (Carmichael/CTS).
    "ramp":  0.75 × best 1-min power of a ramp test (TrainerRoad/Zwift).
    `power_w` is that test's average (20min/8min) or best 1-min power (ramp).
    """
    test = choose("ftp_test", test)
    power_w = positive(power_w, "power_w")
    factor = FTP_TEST_FACTORS[test]
    return Metric(power_w * factor, test, "W", {"factor": factor, "test_power_w": power_w})


def eftp_from_curve(curve: MeanMaxCurve) -> Metric:
    """Estimated FTP suggestion = 0.95 × best 20-min power on a mean-max curve (None if no 20-min effort)."""
    p20 = curve.at(1200)
    return Metric(None if p20 is None else 0.95 * p20, "20min", "W", {"factor": 0.95, "p20_w": p20})


@dataclass(frozen=True)
class CriticalPowerFit:
    cp_w: float
    w_prime_j: float
    method: str
    n_points: int
    rmse_w: float | None  # residual of P(t) = CP + W'/t at the input points (None for an exact 2-point fit)

    def as_dict(self) -> dict:
        return {"cp_w": self.cp_w, "w_prime_j": self.w_prime_j, "method": self.method,
                "n_points": self.n_points, "rmse_w": self.rmse_w}  # fmt: skip


def critical_power(durations_s, powers_w, method: str = "work_time") -> CriticalPowerFit:
    """Two-parameter critical power model fitted by least squares: W = CP·t + W', i.e. P(t) = CP + W'/t.

    "work_time" (default; Monod & Scherrer 1965): linear regression of work P·t (J) on t (s).
    "inverse_time" (Whipp et al. 1982): linear regression of P (W) on 1/t.
    durations_s / powers_w: matched mean-maximal points, ideally 2-20 min (120-1200 s) efforts.
    Returns CP (W) and W' (J). Raises ValueError with fewer than two distinct durations, and when the
    fit is not physiological (CP <= 0 or W' <= 0), instead of returning a meaningless number.
    """
    method = choose("cp_fit", method)
    t = as_float_array(durations_s, "durations_s", allow_nan=False)
    p = as_float_array(powers_w, "powers_w", allow_nan=False)
    if t.size != p.size:
        raise ValueError(f"{t.size} durations for {p.size} powers")
    if (t <= 0).any() or (p <= 0).any():
        raise ValueError("durations and powers must be > 0")
    if np.unique(t).size < 2:
        raise ValueError("critical power needs efforts of at least two different durations")
    if method == "work_time":
        slope, intercept = np.polyfit(t, p * t, 1)
        cp, wp = float(slope), float(intercept)
    else:
        slope, intercept = np.polyfit(1.0 / t, p, 1)
        cp, wp = float(intercept), float(slope)
    if cp <= 0 or wp <= 0:
        raise ValueError(f"CP fit is not physiological (CP={cp:.1f} W, W'={wp:.0f} J); check the efforts")
    resid = p - (cp + wp / t)
    rmse = float(np.sqrt(np.mean(resid**2))) if t.size > 2 else None
    return CriticalPowerFit(cp, wp, method, int(t.size), rmse)


def critical_power_from_curve(
    curve: MeanMaxCurve, min_s: int = 120, max_s: int = 1200, method: str = "work_time"
) -> CriticalPowerFit:
    """`critical_power` over the curve's points with min_s <= d <= max_s (defaults 2-20 min)."""
    keep = (curve.durations_s >= min_s) & (curve.durations_s <= max_s) & ~np.isnan(curve.values)
    return critical_power(curve.durations_s[keep], curve.values[keep], method=method)


def critical_power_two_efforts(p1_w: float, t1_s: float, p2_w: float, t2_s: float) -> CriticalPowerFit:
    """Closed-form CP and W' from two all-out efforts (Monod & Scherrer 1965; Moritani 1981).

    CP = (P2·t2 − P1·t1)/(t2 − t1);  W' = (P1 − P2)·t1·t2/(t2 − t1). Units W, s, J.
    """
    p1, t1 = positive(p1_w, "p1_w"), positive(t1_s, "t1_s")
    p2, t2 = positive(p2_w, "p2_w"), positive(t2_s, "t2_s")
    if t1 == t2:
        raise ValueError("the two efforts must have different durations")
    cp = (p2 * t2 - p1 * t1) / (t2 - t1)
    wp = (p1 - p2) * t1 * t2 / (t2 - t1)
    if cp <= 0 or wp <= 0:
        raise ValueError(
            f"efforts give a non-physiological CP={cp:.1f} W, W'={wp:.0f} J (shorter must be harder)"
        )
    return CriticalPowerFit(cp, wp, "two_effort", 2, None)


MORTON_3P_MIN_S = 60  # default fit range of the 3-parameter model, s (see critical_power_3p_from_curve)
MORTON_3P_MAX_S = 1200


def morton_3p_power(durations_s, cp_w: float, w_prime_j: float, pmax_w: float) -> np.ndarray:
    """Power (W) sustainable for t seconds under Morton's 3-parameter model:
    P(t) = W' / (t + W'/(Pmax − CP)) + CP, i.e. t = W'/(P − CP) − W'/(Pmax − CP).
    P(0) = Pmax; P(t) → CP as t → ∞; as Pmax → ∞ it becomes the 2-parameter P = CP + W'/t.
    Citation: Morton RH (1996), A 3-parameter critical power model, Ergonomics 39(4):611-619.
    """
    t = as_float_array(durations_s, "durations_s", allow_nan=False)
    cp, wp, pmax = positive(cp_w, "cp_w"), positive(w_prime_j, "w_prime_j"), positive(pmax_w, "pmax_w")
    if pmax <= cp:
        raise ValueError(f"pmax_w ({pmax}) must exceed cp_w ({cp})")
    return wp / (t + wp / (pmax - cp)) + cp


@dataclass(frozen=True)
class CriticalPower3Fit:
    """Morton 3-parameter fit. rmse_w and r_squared describe the fit at the input points (None for an exact
    3-point fit); min_s/max_s are the shortest and longest durations used."""

    cp_w: float
    w_prime_j: float
    pmax_w: float
    n_points: int
    rmse_w: float | None
    r_squared: float | None
    min_s: float
    max_s: float
    method: str = "morton_3p"

    def as_dict(self) -> dict:
        return {"cp_w": self.cp_w, "w_prime_j": self.w_prime_j, "pmax_w": self.pmax_w, "method": self.method,
                "n_points": self.n_points, "rmse_w": self.rmse_w, "r_squared": self.r_squared,
                "min_s": self.min_s, "max_s": self.max_s}  # fmt: skip


def critical_power_3p(durations_s, powers_w) -> CriticalPower3Fit:
    """Three-parameter critical power model (Morton 1996), fitted by nonlinear least squares on power:
    minimise Σ (P_i − P(t_i))², P(t) = W'/(t + W'/(Pmax − CP)) + CP (`morton_3p_power`).

    durations_s / powers_w: matched mean-maximal points (s, W), at least three distinct durations.
    Returns CP (W), W' (J), Pmax (W) and the fit quality (RMSE in W, R²). Pmax is the model's power
    at t = 0, an extrapolation of the hyperbola, not a measured sprint peak. Solved by
    scipy.optimize.least_squares (trust-region reflective, bounds CP, W' > 0 and Pmax > CP), started
    from the 2-parameter work-time fit of the same points. Raises ValueError when fewer than three
    durations are given or the optimum sits on a bound (the points do not define three parameters,
    e.g. no curvature at the short end), instead of returning a meaningless number.
    Citation: Morton RH (1996), Ergonomics 39(4):611-619; review: Morton RH (2006), Eur J Appl
    Physiol 96:339-354.
    """
    t = as_float_array(durations_s, "durations_s", allow_nan=False)
    p = as_float_array(powers_w, "powers_w", allow_nan=False)
    if t.size != p.size:
        raise ValueError(f"{t.size} durations for {p.size} powers")
    if (t <= 0).any() or (p <= 0).any():
        raise ValueError("durations and powers must be > 0")
    if np.unique(t).size < 3:
        raise ValueError("the 3-parameter model needs efforts of at least three different durations")
    try:
        start = critical_power(t, p)
        cp0, wp0 = min(start.cp_w, 0.95 * float(p.min())), start.w_prime_j
    except ValueError:
        cp0, wp0 = 0.8 * float(p.min()), float(np.mean((p - 0.8 * p.min()) * t))
    pmax0 = max(2.0 * float(p.max()), cp0 + 1.0)
    from scipy.optimize import least_squares  # lazy, as in load.fit_banister

    def residuals(x: np.ndarray) -> np.ndarray:
        cp, wp, above = x  # above = Pmax − CP > 0 keeps the hyperbola's asymptote below Pmax
        return wp / (t + wp / above) + cp - p

    scale = np.array([cp0, wp0, pmax0 - cp0])
    result = least_squares(
        residuals,
        x0=scale,
        bounds=([1e-6, 1e-6, 1e-6], [np.inf, np.inf, np.inf]),
        x_scale=scale,
        xtol=1e-12,
        ftol=1e-12,
        gtol=1e-12,
        max_nfev=10000,
    )
    cp, wp, above = (float(v) for v in result.x)
    if not result.success or min(cp, wp, above) <= 1e-3 or above > 1e3 * float(p.max()):
        raise ValueError(
            f"3-parameter CP fit did not reach an interior optimum (CP={cp:.1f} W, W'={wp:.0f} J, "
            f"Pmax-CP={above:.0f} W); the efforts do not define Pmax: include shorter efforts"
        )
    resid = p - (wp / (t + wp / above) + cp)
    rmse = r2 = None
    if t.size > 3:
        rmse = float(np.sqrt(np.mean(resid**2)))
        total = float(np.sum((p - p.mean()) ** 2))
        r2 = 1.0 - float(np.sum(resid**2)) / total if total > 0 else None
    return CriticalPower3Fit(cp, wp, cp + above, int(t.size), rmse, r2, float(t.min()), float(t.max()))


def critical_power_3p_from_curve(
    curve: MeanMaxCurve, min_s: int = MORTON_3P_MIN_S, max_s: int = MORTON_3P_MAX_S
) -> CriticalPower3Fit:
    """`critical_power_3p` over a mean-max curve's points with min_s <= d <= max_s (default 1-20 min).

    The range extends the 2-parameter fit's 2-20 min down to 1 min so the short-end curvature that
    defines Pmax is in the data; efforts under a minute are left out by default because sprint
    (neuromuscular) power sits above the hyperbola and would drag CP and W' (pass min_s to include them).
    """
    keep = (curve.durations_s >= min_s) & (curve.durations_s <= max_s) & ~np.isnan(curve.values)
    return critical_power_3p(curve.durations_s[keep], curve.values[keep])


def skiba_tau(power, cp_w: float) -> float:
    """W' recovery time constant (s), Skiba 2012: τ = 546·e^(−0.01·D_CP) + 316,
    D_CP = CP − mean(P | P < CP) over the session (W). Kept as a float (GoldenCheetah truncates to int).
    Raises ValueError if no sample is below CP (D_CP undefined): pass `tau_s` explicitly then.
    """
    p = _power(power)
    cp = positive(cp_w, "cp_w")
    below = p[p < cp]  # NaN compares False, so gaps are excluded
    if below.size == 0:
        raise ValueError("no power sample below CP: D_CP is undefined, pass tau_s explicitly")
    return 546.0 * math.exp(-0.01 * (cp - float(below.mean()))) + 316.0


@dataclass(frozen=True)
class WPrimeBalance:
    balance_j: np.ndarray
    method: str
    cp_w: float
    w_prime_j: float
    tau_s: float | None

    @property
    def min_j(self) -> float:
        return float(self.balance_j.min())


def w_prime_balance(
    power, cp_w: float, w_prime_j: float, method: str = "integral", tau_s: float | None = None
) -> WPrimeBalance:
    """W' balance (J) for every second of a 1 Hz power stream.

    "integral" (default; Skiba et al. 2012):
        W'bal(t) = W' − Σ_{u≤t} max(0, P_u − CP) · e^{−(t−u)/τ}, τ from `skiba_tau` unless given.
        Evaluated as a first-order recursive filter (exact, vectorised).
    "differential" (Skiba et al. 2015; Froncioni/Clarke discretisation, 1-s steps, W starts at W'):
        P < CP: W ← W + (CP − P)(W' − W)/W';  otherwise W ← W − (P − CP).
    Gap seconds (NaN) count as 0 W: the athlete recovers while stopped.
    """
    method = choose("wbal", method)
    p = _power(power)
    cp = positive(cp_w, "cp_w")
    wp = positive(w_prime_j, "w_prime_j")
    p = np.where(np.isnan(p), 0.0, p)
    if method == "integral":
        tau = skiba_tau(p, cp) if tau_s is None else positive(tau_s, "tau_s")
        excess = np.maximum(p - cp, 0.0)
        from scipy.signal import lfilter  # lazy: the file decoders import analytics without scipy

        spent = lfilter([1.0], [1.0, -math.exp(-1.0 / tau)], excess)
        return WPrimeBalance(wp - spent, method, cp, wp, tau)
    # Differential: W_t = a_t·W_{t−1} + (CP − P_t), a_t = 1 − max(0, CP − P_t)/W'. A time-varying linear
    # recursion; a plain loop is exact and fast enough (this metric is not in the scoring hot path).
    below = np.maximum(cp - p, 0.0)
    a = (1.0 - below / wp).tolist()
    b = (cp - p).tolist()
    out = np.empty(p.size)
    w = wp
    for i in range(p.size):
        w = a[i] * w + b[i]
        out[i] = w
    return WPrimeBalance(out, method, cp, wp, None)


# Coggan's power training levels (Allen & Coggan, Training and Racing with a Power Meter): upper bounds in % of
# FTP; level 1 is "<= 55 %", level 2 "56-75 %", ..., level 7 "> 150 %" (no upper bound).
COGGAN_LEVELS = (
    ("L1 Active recovery", 55),
    ("L2 Endurance", 75),
    ("L3 Tempo", 90),
    ("L4 Lactate threshold", 105),
    ("L5 VO2max", 120),
    ("L6 Anaerobic capacity", 150),
    ("L7 Neuromuscular", math.inf),
)


@dataclass(frozen=True)
class PowerZone:
    """One power zone: (low_w, high_w]; the first zone starts at 0 W inclusive, the last is open-ended."""

    name: str
    low_w: float
    high_w: float


def power_zones(ftp_w: float) -> list[PowerZone]:
    """Coggan's seven power levels in watts for an FTP (W): upper bounds 55/75/90/105/120/150 % of FTP.

    Citation: Allen H, Coggan A, Training and Racing with a Power Meter (2nd ed., 2010), table 3.1.
    """
    ftp = positive(ftp_w, "ftp_w")
    zones, low = [], 0.0
    for name, upper_pct in COGGAN_LEVELS:
        high = ftp * upper_pct / 100
        zones.append(PowerZone(name, low, high))
        low = high
    return zones


def time_in_power_zones(power, zones: list[PowerZone]) -> dict[str, float]:
    """Seconds of a 1 Hz power stream (W) in each zone; a value on a boundary belongs to the lower zone
    (Coggan's "<= 55 %"). NaN seconds are not counted; 0 W (coasting) counts in the first zone."""
    p = _power(power)
    valid = p[~np.isnan(p)]
    uppers = np.array([z.high_w for z in zones])
    index = np.searchsorted(uppers, valid, side="left")
    counts = np.bincount(index, minlength=len(zones))[: len(zones)]
    return {z.name: float(c) for z, c in zip(zones, counts, strict=True)}
