"""Heart-rate training load: TRIMP (Banister, Edwards, Lucia) and HRSS.

All stream inputs are 1 Hz HR in bpm with NaN for gaps (see `analytics.streams`); each valid second
contributes 1/60 min. NaN seconds contribute nothing.
"""

from __future__ import annotations

import math

import numpy as np

from ._common import Metric, as_float_array, choose, hr_range, positive, sex_key

# Banister/Morton weighting y = a·e^(b·x); (a, b) by sex. Morton, Fitz-Clarke & Banister 1990.
MORTON_COEFFICIENTS = {"male": (0.64, 1.92), "female": (0.86, 1.67)}
# GoldenCheetah TRIMPPoints.cpp uses a = 0.64 for both sexes.
GOLDENCHEETAH_COEFFICIENTS = {"male": (0.64, 1.92), "female": (0.64, 1.67)}


def hr_reserve_fraction(hr, hr_rest: float, hr_max: float) -> np.ndarray:
    """x = (HR − HRrest)/(HRmax − HRrest), clipped at >= 0 (no upper clip); NaN stays NaN. Karvonen 1957."""
    rest, top = hr_range(hr_rest, hr_max)
    h = as_float_array(hr, "hr")
    return np.maximum((h - rest) / (top - rest), 0.0)  # np.maximum propagates NaN


def _hr(hr) -> np.ndarray:
    h = as_float_array(hr, "hr")
    if np.nanmin(h, initial=1.0) <= 0:
        raise ValueError("hr contains values <= 0 bpm; use NaN for missing readings")
    return h


def trimp_banister(hr, hr_rest: float, hr_max: float, sex: str = "male", method: str = "banister") -> Metric:
    """Banister exponential TRIMP (arbitrary units).

    TRIMP = Σ Δt[min] · x · a · e^(b·x), x = HR-reserve fraction; male a=0.64 b=1.92, female a=0.86 b=1.67.
    "banister" (default): per 1-s sample (Morton, Fitz-Clarke & Banister 1990, J Appl Physiol 69:1171).
    "banister_session_avg": duration[min] · x(avg HR) · a · e^(b·x) (Banister 1991).
    "goldencheetah": session average with a = 0.64 for both sexes (GoldenCheetah TRIMPPoints.cpp).
    Returns Metric(None) when the stream has no HR reading.
    """
    method = choose("trimp", method)
    if method not in ("banister", "banister_session_avg", "goldencheetah"):  # the exponential family
        raise ValueError(f"trimp_banister does not compute {method!r}; use trimp(method=...)")
    sex = sex_key(sex)
    a, b = (GOLDENCHEETAH_COEFFICIENTS if method == "goldencheetah" else MORTON_COEFFICIENTS)[sex]
    h = _hr(hr)
    params = {"a": a, "b": b, "sex": sex, "hr_rest": hr_rest, "hr_max": hr_max}
    x = hr_reserve_fraction(h, hr_rest, hr_max)
    valid = x[~np.isnan(x)]
    if valid.size == 0:
        return Metric(None, method, "AU", params)
    if method == "banister":
        value = float(np.sum(valid * np.exp(b * valid))) * a / 60.0
    else:
        rest, top = hr_range(hr_rest, hr_max)
        avg = float(h[~np.isnan(h)].mean())
        xa = max((avg - rest) / (top - rest), 0.0)
        value = valid.size / 60.0 * xa * a * math.exp(b * xa)
    return Metric(value, method, "AU", params)


EDWARDS_WEIGHTS = ((0.5, 1), (0.6, 2), (0.7, 3), (0.8, 4), (0.9, 5))


def trimp_edwards(hr, hr_max: float) -> Metric:
    """Edwards summated-heart-rate-zone TRIMP (AU) = Σ minutes_in_zone · w.

    Zones of %HRmax 50-60/60-70/70-80/80-90/90-100 weigh 1..5; time below 50 % counts 0; above
    100 % counts 5. Time in zone, per second (not the average HR in one zone).
    Citation: Edwards, The Heart Rate Monitor Book (1993).
    """
    h = _hr(hr)
    top = positive(hr_max, "hr_max")
    frac = h[~np.isnan(h)] / top
    if frac.size == 0:
        return Metric(None, "edwards", "AU", {"hr_max": top})
    edges = np.array([e for e, _ in EDWARDS_WEIGHTS])
    weights = np.searchsorted(edges, frac, side="right")  # 0 below 50 %, 1..5 above each edge
    return Metric(float(weights.sum()) / 60.0, "edwards", "AU", {"hr_max": top})


def trimp_lucia(hr, vt1_bpm: float, vt2_bpm: float) -> Metric:
    """Lucia TRIMP (AU) = Σ minutes · w, w = 1 below VT1, 2 from VT1 to below VT2, 3 at/above VT2.

    VT1/VT2: heart rates at the ventilatory thresholds from a lab test (bpm).
    Citation: Lucia et al. 2003, Med Sci Sports Exerc 35:872-878.
    """
    vt1, vt2 = positive(vt1_bpm, "vt1_bpm"), positive(vt2_bpm, "vt2_bpm")
    if vt2 <= vt1:
        raise ValueError(f"vt2_bpm ({vt2}) must be greater than vt1_bpm ({vt1})")
    h = _hr(hr)
    valid = h[~np.isnan(h)]
    if valid.size == 0:
        return Metric(None, "lucia", "AU", {"vt1_bpm": vt1, "vt2_bpm": vt2})
    weights = 1 + np.searchsorted(np.array([vt1, vt2]), valid, side="right")
    return Metric(float(weights.sum()) / 60.0, "lucia", "AU", {"vt1_bpm": vt1, "vt2_bpm": vt2})


# GoldenCheetah default HR zones (% LTHR lower bounds) and their TRIMP weights (HrZones.cpp L39-43).
GOLDENCHEETAH_ZONES = ((0.0, 0.9), (0.68, 1.1), (0.83, 1.2), (0.94, 2.0), (1.05, 5.0))


def trimp_goldencheetah_zonal(hr, lthr: float) -> Metric:
    """GoldenCheetah zonal TRIMP (AU) = Σ k_z · seconds_z / 60, zones from 0/68/83/94/105 % LTHR with
    k = 0.9/1.1/1.2/2.0/5.0 (GoldenCheetah HrZones.cpp defaults)."""
    lt = positive(lthr, "lthr")
    h = _hr(hr)
    valid = h[~np.isnan(h)]
    if valid.size == 0:
        return Metric(None, "goldencheetah_zonal", "AU", {"lthr": lt})
    edges = np.array([lo for lo, _ in GOLDENCHEETAH_ZONES[1:]]) * lt
    weights = np.array([k for _, k in GOLDENCHEETAH_ZONES])
    zone = np.searchsorted(edges, valid, side="right")
    return Metric(float(weights[zone].sum()) / 60.0, "goldencheetah_zonal", "AU", {"lthr": lt})


def trimp(
    hr,
    method: str = "banister",
    *,
    hr_rest: float | None = None,
    hr_max: float | None = None,
    sex: str = "male",
    vt1_bpm: float | None = None,
    vt2_bpm: float | None = None,
    lthr: float | None = None,
) -> Metric:
    """TRIMP by variant name: "banister" (default) | "banister_session_avg" | "goldencheetah" | "edwards"
    | "lucia" | "goldencheetah_zonal". See `trimp_banister`, `trimp_edwards`, `trimp_lucia`,
    `trimp_goldencheetah_zonal` for formulas and citations."""
    method = choose("trimp", method)
    if method == "goldencheetah_zonal":
        if lthr is None:
            raise ValueError("goldencheetah_zonal TRIMP needs lthr")
        return trimp_goldencheetah_zonal(hr, lthr)
    if method == "edwards":
        if hr_max is None:
            raise ValueError("edwards TRIMP needs hr_max")
        return trimp_edwards(hr, hr_max)
    if method == "lucia":
        if vt1_bpm is None or vt2_bpm is None:
            raise ValueError("lucia TRIMP needs vt1_bpm and vt2_bpm")
        return trimp_lucia(hr, vt1_bpm, vt2_bpm)
    if hr_rest is None or hr_max is None:
        raise ValueError(f"{method} TRIMP needs hr_rest and hr_max")
    return trimp_banister(hr, hr_rest, hr_max, sex=sex, method=method)


def hrss(hr, lthr: float, hr_rest: float, hr_max: float, sex: str = "male", method: str = "trimp") -> Metric:
    """Heart Rate Stress Score (TSS-like units: 1 h at LTHR = 100).

    "trimp" (default; GoldenCheetah TRIMPPoints.cpp "TRIMP(100)", Elevate):
        HRSS = 100 · TRIMP / (60 · x_LT · a · e^(b·x_LT)), x_LT = (LTHR − rest)/(max − rest),
        TRIMP the per-second Banister TRIMP with the same (a, b) (Morton coefficients by sex).
    "avg_hr_squared": hours · (avgHR/LTHR)² · 100 (the hrTSS shortcut, e.g. Pierre metrics.rs).
    Returns Metric(None) when the stream has no HR reading.
    """
    method = choose("hrss", method)
    lt = positive(lthr, "lthr")
    rest, top = hr_range(hr_rest, hr_max)
    if not rest < lt <= top:
        raise ValueError(f"lthr ({lt}) must lie in (hr_rest, hr_max] = ({rest}, {top}]")
    params = {"lthr": lt, "hr_rest": rest, "hr_max": top}
    h = _hr(hr)
    valid = h[~np.isnan(h)]
    if valid.size == 0:
        return Metric(None, method, "TSS", params)
    if method == "avg_hr_squared":
        ratio = float(valid.mean()) / lt
        return Metric(valid.size / 3600.0 * ratio * ratio * 100.0, method, "TSS", params)
    sex = sex_key(sex)
    a, b = MORTON_COEFFICIENTS[sex]
    t = trimp_banister(h, rest, top, sex=sex).value
    if t is None:  # not reached: the stream has a reading (checked above), so TRIMP has a value
        return Metric(None, method, "TSS", params)
    x_lt = (lt - rest) / (top - rest)
    one_hour_at_lt = 60.0 * x_lt * a * math.exp(b * x_lt)
    return Metric(100.0 * t / one_hour_at_lt, method, "TSS", {**params, "sex": sex})
