"""Daily load series: PMC (CTL/ATL/TSB/ramp), Banister impulse-response, ACWR, Foster monotony/strain.

Input is one load value per calendar day, oldest first, rest days = 0 (every day from the athlete's
first record to today). NaN is refused: a missing day must be an explicit 0, never a guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._common import as_float_array, choose, non_negative, positive


def _daily(load, name: str = "daily_load") -> np.ndarray:
    arr = as_float_array(load, name, allow_nan=False)
    if (arr < 0).any():
        raise ValueError(f"{name} contains negative loads")
    return arr


def smoothing_constant(days: float, convention: str = "goldencheetah") -> float:
    """k for X_d = X_{d−1} + k·(L_d − X_{d−1}).

    "goldencheetah" (default; also intervals.icu): k = 1 − e^(−1/τ) (GoldenCheetah PMCData.cpp).
    "trainingpeaks": k = 1/τ (TrainingPeaks; Coggan).
    "ema": k = 2/(N+1) (Pierre compatibility; halves the effective time constant).
    """
    convention = choose("pmc", convention)
    tau = positive(days, "days")
    if convention == "goldencheetah":
        return 1.0 - math.exp(-1.0 / tau)
    if convention == "trainingpeaks":
        return 1.0 / tau
    return 2.0 / (tau + 1.0)


def _ewma(load: np.ndarray, k: float, seed: float) -> np.ndarray:
    """X_d = (1−k)·X_{d−1} + k·L_d with X_{−1} = seed, as an exact IIR filter."""
    from scipy.signal import (
        lfilter,  # here, not at the top: the file decoders import analytics.geo without scipy
    )

    out, _ = lfilter([k], [1.0, -(1.0 - k)], load, zi=[(1.0 - k) * seed])
    return out


def pmc(
    daily_load,
    convention: str = "goldencheetah",
    tsb: str = "yesterday",
    ctl_days: float = 42.0,
    atl_days: float = 7.0,
    ctl_seed: float = 0.0,
    atl_seed: float = 0.0,
) -> dict:
    """Performance Management Chart.

    CTL_d = CTL_{d−1} + k_CTL·(L_d − CTL_{d−1}), ATL likewise with k_ATL (k per `convention`, see
    `smoothing_constant`; τ = 42 / 7 days); today's load is in today's value; seeds default 0.
    TSB: "yesterday" (default; TrainingPeaks "Form = yesterday's fitness − yesterday's fatigue",
    GoldenCheetah default): TSB_d = CTL_{d−1} − ATL_{d−1} (day 0 uses the seeds); "same_day": CTL_d − ATL_d.
    Ramp rate: CTL_d − CTL_{d−7}; CTL_d − CTL_0 for d < 7 (GoldenCheetah PMCData.cpp).
    Units: load units per day (TSS/d). 42 days at 100 from zero → CTL 63.21 (GC), 63.65 (TP), 86.47 (ema).
    Returns {"ctl", "atl", "tsb", "ramp_rate": float arrays, "convention", "tsb_alignment",
    "k_ctl", "k_atl"}. Raises ValueError on an empty, negative or NaN series.
    """
    convention = choose("pmc", convention)
    tsb = choose("tsb", tsb)
    load = _daily(daily_load)
    k_ctl = smoothing_constant(ctl_days, convention)
    k_atl = smoothing_constant(atl_days, convention)
    ctl = _ewma(load, k_ctl, non_negative(ctl_seed, "ctl_seed"))
    atl = _ewma(load, k_atl, non_negative(atl_seed, "atl_seed"))
    if tsb == "same_day":
        form = ctl - atl
    else:
        form = np.empty_like(ctl)
        form[0] = ctl_seed - atl_seed
        form[1:] = ctl[:-1] - atl[:-1]
    ramp = np.empty_like(ctl)
    head = min(7, ctl.size)
    ramp[:head] = ctl[:head] - ctl[0]
    ramp[7:] = ctl[7:] - ctl[:-7]
    return {
        "ctl": ctl, "atl": atl, "tsb": form, "ramp_rate": ramp,
        "convention": convention, "tsb_alignment": tsb, "k_ctl": k_ctl, "k_atl": k_atl,
    }  # fmt: skip


# ------------------------------------------------------------------------------ Banister fitness-fatigue


@dataclass(frozen=True)
class BanisterParams:
    p0: float
    k1: float
    k2: float
    tau1: float
    tau2: float

    def as_dict(self) -> dict:
        return {"p0": self.p0, "k1": self.k1, "k2": self.k2, "tau1": self.tau1, "tau2": self.tau2}


def banister_performance(daily_load, params: BanisterParams, include_today: bool = False) -> np.ndarray:
    """Banister impulse-response model (Banister, Calvert, Savage & Bach 1975; Morton et al. 1990):

    p(t) = p0 + k1·Σ_{s<t} w_s·e^{−(t−s)/τ1} − k2·Σ_{s<t} w_s·e^{−(t−s)/τ2}   (days, load units).
    `include_today=True` uses s ≤ t (GoldenCheetah Banister.cpp). Exact recursive filters.
    """
    w = _daily(daily_load)
    tau1, tau2 = positive(params.tau1, "tau1"), positive(params.tau2, "tau2")

    def impulse(tau: float) -> np.ndarray:
        decay = math.exp(-1.0 / tau)
        from scipy.signal import lfilter

        g = lfilter([1.0], [1.0, -decay], w)  # g_t = Σ_{s≤t} w_s·decay^{t−s}
        if include_today:
            return g
        prior = np.zeros_like(g)
        prior[1:] = g[:-1] * decay  # Σ_{s<t}
        return prior

    return params.p0 + params.k1 * impulse(tau1) - params.k2 * impulse(tau2)


@dataclass(frozen=True)
class BanisterFit:
    params: BanisterParams
    rmse: float
    n_tests: int
    success: bool
    message: str


def fit_banister(
    daily_load,
    performance,
    initial: BanisterParams | None = None,
    include_today: bool = False,
    tau_bounds: tuple[float, float] = (1.0, 100.0),
) -> BanisterFit:
    """Fit p0, k1, k2, τ1, τ2 of `banister_performance` to measured performances by bounded nonlinear
    least squares (scipy.optimize.least_squares, trust-region reflective).

    performance: same length as daily_load, NaN on days without a test. Needs >= 5 tests (5 parameters).
    Bounds: k1, k2 >= 0; τ1, τ2 within `tau_bounds` days. The usual constraint τ1 > τ2 is enforced by
    fitting τ1 = τ2 + δ with δ >= 0. Initial guess: p0 = first test, k1 = k2 = 0.1, τ1 = 42, τ2 = 7.
    """
    w = _daily(daily_load)
    perf = as_float_array(performance, "performance")
    if perf.size != w.size:
        raise ValueError("performance and daily_load differ in length")
    tested = ~np.isnan(perf)
    n = int(tested.sum())
    if n < 5:
        raise ValueError(f"fitting 5 Banister parameters needs at least 5 performance tests, got {n}")
    if initial is None:
        initial = BanisterParams(float(perf[tested][0]), 0.1, 0.1, 42.0, 7.0)
    lo_tau, hi_tau = tau_bounds

    def unpack(x: np.ndarray) -> BanisterParams:
        return BanisterParams(x[0], x[1], x[2], x[4] + x[3], x[4])

    def residuals(x: np.ndarray) -> np.ndarray:
        return banister_performance(w, unpack(x), include_today)[tested] - perf[tested]

    x0 = np.array([initial.p0, initial.k1, initial.k2, max(initial.tau1 - initial.tau2, 0.0), initial.tau2])
    x0[4] = np.clip(x0[4], lo_tau, hi_tau)
    x0[3] = np.clip(x0[3], 0.0, hi_tau - lo_tau)
    x0[1:3] = np.maximum(x0[1:3], 0.0)
    from scipy.optimize import least_squares

    result = least_squares(
        residuals,
        x0,
        bounds=([-np.inf, 0.0, 0.0, 0.0, lo_tau], [np.inf, np.inf, np.inf, hi_tau - lo_tau, hi_tau]),
        x_scale="jac",
    )
    rmse = float(np.sqrt(np.mean(result.fun**2)))
    return BanisterFit(unpack(result.x), rmse, n, bool(result.success), str(result.message))


# ------------------------------------------------------------------------------------------------ ACWR


def acwr(
    daily_load,
    method: str = "ewma",
    acute_days: int = 7,
    chronic_days: int = 28,
    ewma_seed: str = "first_load",
) -> dict:
    """Acute:chronic workload ratio per day. Returns {"acute", "chronic", "ratio" arrays (NaN = null),
    "method", "ewma_seed"}. The ratio is null when chronic is 0 or its window is incomplete.

    "ewma" (default; Williams, West, Cross & Stokes 2017, BJSM 51:209): EWMA_t = λ·L_t + (1−λ)·EWMA_{t−1},
        λ = 2/(N+1), N = 7 and 28; seeded with the first day's load ("first_load", as the R package
        ACWR) or 0 ("zero"). Defined from day 0.
    "rolling_coupled" (Hulin et al. 2016 BJSM; Gabbett 2016): acute = mean L[t−6..t],
        chronic = mean L[t−27..t]; null until 28 days exist.
    "rolling_uncoupled" (Lolli et al. 2019 BJSM; Windt & Gabbett 2019): chronic = mean L[t−27..t−7]
        (21 days excluding the acute week); null until 28 days exist.
    """
    method = choose("acwr", method)
    seed_rule = choose("ewma_seed", ewma_seed)
    load = _daily(daily_load)
    a, c = int(acute_days), int(chronic_days)
    if not 1 <= a < c:
        raise ValueError(f"need 1 <= acute_days < chronic_days, got {a}, {c}")
    n = load.size
    if method == "ewma":
        seed = float(load[0]) if seed_rule == "first_load" else 0.0
        # EWMA_0 = λ·L_0 + (1−λ)·seed: equals L_0 for the first-load seed, λ·L_0 for the zero seed.
        acute = _ewma(load, 2.0 / (a + 1), seed)
        chronic = _ewma(load, 2.0 / (c + 1), seed)
    else:
        cs = np.concatenate(([0.0], np.cumsum(load)))
        idx = np.arange(n)
        acute = np.full(n, np.nan)
        chronic = np.full(n, np.nan)
        ok_a = idx >= a - 1
        acute[ok_a] = (cs[idx[ok_a] + 1] - cs[idx[ok_a] + 1 - a]) / a
        ok_c = idx >= c - 1
        if method == "rolling_coupled":
            chronic[ok_c] = (cs[idx[ok_c] + 1] - cs[idx[ok_c] + 1 - c]) / c
        else:
            chronic[ok_c] = (cs[idx[ok_c] + 1 - a] - cs[idx[ok_c] + 1 - c]) / (c - a)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(chronic > 0, acute / chronic, np.nan)
    return {"acute": acute, "chronic": chronic, "ratio": ratio, "method": method,
            "ewma_seed": seed_rule if method == "ewma" else None}  # fmt: skip


# ------------------------------------------------------------------------------------ Foster monotony


def session_rpe_load(rpe: float, duration_min: float) -> float:
    """Foster session-RPE load (AU) = RPE (CR-10, 0..10) × minutes. Foster 1998, MSSE 30:1164-1168."""
    r = non_negative(rpe, "rpe")
    if r > 10:
        raise ValueError(f"rpe is on the CR-10 scale (0..10), got {r}")
    return r * non_negative(duration_min, "duration_min")


def monotony_strain(daily_load, window_days: int = 7, sd: str = "population") -> dict:
    """Foster monotony and strain over a trailing window (Foster 1998, MSSE 30:1164-1168).

    weekly_load_d = Σ L[d−6..d]; monotony_d = mean(L[d−6..d]) / SD(L[d−6..d]); strain_d = weekly × monotony.
    sd: "population" (default, ddof 0) or "sample" (ddof 1, Excel STDEV). Null (NaN) before a full
    window exists, and monotony/strain null when SD = 0 (a constant week has no defined monotony).
    Returns {"weekly_load", "monotony", "strain" arrays, "sd"}.
    """
    sd = choose("sd", sd)
    load = _daily(daily_load)
    w = int(window_days)
    if w < 2:
        raise ValueError("window_days must be >= 2")
    n = load.size
    weekly = np.full(n, np.nan)
    monotony = np.full(n, np.nan)
    if n >= w:
        windows = np.lib.stride_tricks.sliding_window_view(load, w)
        total = windows.sum(axis=1)
        dev = windows.std(axis=1, ddof=0 if sd == "population" else 1)
        # Exact zeros only: a constant week of floats can leave ~1e-15 of rounding in std. A std that underflows
        # to 0 (subnormal loads) is flat too: monotony is undefined there, not infinite.
        flat = (np.ptp(windows, axis=1) == 0) | (dev == 0)
        weekly[w - 1 :] = total
        with np.errstate(invalid="ignore", divide="ignore"):
            monotony[w - 1 :] = np.where(flat, np.nan, (total / w) / dev)
    strain = weekly * monotony
    return {"weekly_load": weekly, "monotony": monotony, "strain": strain, "sd": sd}
