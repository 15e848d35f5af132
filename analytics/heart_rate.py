"""Heart-rate physiology: maximum HR, HR zones, LTHR, time in zone.

HR streams are 1 Hz with NaN for gaps (see `analytics.streams`); values in beats per minute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common import Metric, as_float_array, choose, hr_range, non_negative, positive

# HRmax = a − b·age (bpm); name -> (a, b, citation)
MAX_HR_FORMULAS: dict[str, tuple[float, float, str]] = {
    "tanaka": (208.0, 0.7, "Tanaka, Monahan & Seals 2001, JACC 37:153-156"),
    "fox": (220.0, 1.0, "Fox, Naughton & Haskell 1971"),
    "nes": (211.0, 0.64, "Nes et al. 2013, Scand J Med Sci Sports 23:697-704"),
    "gulati": (206.0, 0.88, "Gulati et al. 2010, Circulation 122:130-137 (women)"),
}


def max_hr(age_years: float, formula: str = "tanaka") -> Metric:
    """Predicted maximum heart rate (bpm) = a − b·age.

    "tanaka" (default) 208 − 0.7·age; "fox" 220 − age; "nes" 211 − 0.64·age; "gulati" 206 − 0.88·age
    (women). Ages must be in 5..110 years: outside that the regressions say nothing.
    """
    formula = choose("max_hr", formula)
    age = positive(age_years, "age_years")
    if not 5 <= age <= 110:
        raise ValueError(f"age_years must be within 5..110, got {age}")
    a, b, cite = MAX_HR_FORMULAS[formula]
    return Metric(a - b * age, formula, "bpm", {"age_years": age, "citation": cite})


@dataclass(frozen=True)
class Zone:
    """One HR zone: [low_bpm, high_bpm) — the last zone's high is +inf."""

    name: str
    low_bpm: float
    high_bpm: float


# Lower bounds of each zone in % (of HRmax, of HR reserve, or of LTHR).
PERCENT_ZONES = (("Z1", 50), ("Z2", 60), ("Z3", 70), ("Z4", 80), ("Z5", 90))  # Edwards 1993 bands
FRIEL_ZONES = {
    # Friel, Total Heart Rate Training; zone covers [low, next low); Z5c is the table's "> 106".
    "friel_cycling": (
        ("Z1", 0),
        ("Z2", 81),
        ("Z3", 90),
        ("Z4", 94),
        ("Z5a", 100),
        ("Z5b", 103),
        ("Z5c", 106),
    ),
    "friel_running": (
        ("Z1", 0),
        ("Z2", 85),
        ("Z3", 90),
        ("Z4", 95),
        ("Z5a", 100),
        ("Z5b", 103),
        ("Z5c", 106),
    ),
}


def hr_zones(
    method: str = "percent_hrmax",
    *,
    hr_max: float | None = None,
    hr_rest: float | None = None,
    lthr: float | None = None,
    lower_percents: list[float] | None = None,
) -> list[Zone]:
    """Heart-rate zone boundaries (bpm).

    "percent_hrmax": low = p·HRmax, p = 50/60/70/80/90 % (needs hr_max).
    "karvonen" (Karvonen 1957): low = HRrest + p·(HRmax − HRrest), same p (needs hr_max, hr_rest).
    "friel_cycling" / "friel_running" (Friel, Total Heart Rate Training): 7 zones as % of LTHR, lows
        0/81/90/94/100/103/106 (cycling) and 0/85/90/95/100/103/106 (running) (needs lthr).
    `lower_percents` overrides the default lower bounds (ascending, in %).
    """
    method = choose("hr_zones", method)
    if method in FRIEL_ZONES:
        if lthr is None:
            raise ValueError(f"{method} zones need lthr")
        base = positive(lthr, "lthr")
        spec: tuple[tuple[str, int], ...] = FRIEL_ZONES[method]
        lows = [base * pct / 100 for _, pct in spec]
    else:
        if hr_max is None:
            raise ValueError(f"{method} zones need hr_max")
        spec = PERCENT_ZONES
        pcts = [pct for _, pct in spec]
        if method == "karvonen":
            if hr_rest is None:
                raise ValueError("karvonen zones need hr_rest")
            rest, top = hr_range(hr_rest, hr_max)
            lows = [rest + pct / 100 * (top - rest) for pct in pcts]
        else:
            top = positive(hr_max, "hr_max")
            lows = [pct / 100 * top for pct in pcts]
    names = [name for name, _ in spec]
    if lower_percents is not None:
        if sorted(lower_percents) != list(lower_percents) or len(lower_percents) == 0:
            raise ValueError("lower_percents must be a non-empty ascending list")
        names = [f"Z{i + 1}" for i in range(len(lower_percents))]
        if method in FRIEL_ZONES:
            lows = [base * p / 100 for p in lower_percents]
        elif method == "karvonen":
            lows = [rest + p / 100 * (top - rest) for p in lower_percents]
        else:
            lows = [p / 100 * top for p in lower_percents]
    highs = lows[1:] + [float("inf")]
    return [Zone(n, lo, hi) for n, lo, hi in zip(names, lows, highs, strict=True)]


def time_in_zones(hr, zones: list[Zone]) -> dict[str, float]:
    """Seconds of a 1 Hz HR stream in each zone (NaN seconds and HR below the first zone excluded)."""
    h = as_float_array(hr, "hr")
    edges = np.array([z.low_bpm for z in zones] + [np.inf])
    valid = h[~np.isnan(h)]
    counts, _ = np.histogram(valid, bins=edges)
    return {z.name: float(c) for z, c in zip(zones, counts, strict=True)}


def zone_percentages(
    seconds_by_zone: dict[str, float], total_s: float | None = None
) -> dict[str, float | None]:
    """Percent of time in each zone (%), from the seconds `time_in_zones` or `time_in_power_zones` return.

    Denominator: the seconds counted in the zones (the percentages sum to 100), or `total_s` when given
    (e.g. every recorded second, so HR below the first zone shows as the missing share). Every value is
    None when the denominator is 0 (no reading: a share of nothing is undefined, not 0 %).
    """
    seconds = {name: non_negative(value, f"seconds in {name}") for name, value in seconds_by_zone.items()}
    counted = sum(seconds.values())
    total = counted if total_s is None else non_negative(total_s, "total_s")
    if total_s is not None and counted > total + 1e-9:
        raise ValueError(f"total_s ({total}) is smaller than the seconds in zones ({counted})")
    if total == 0:
        return dict.fromkeys(seconds)
    return {name: 100.0 * value / total for name, value in seconds.items()}


def lthr_from_test(hr, min_valid_fraction: float = 0.9) -> Metric:
    """Lactate-threshold HR (bpm) from a 30-min solo time trial (Friel): mean HR of the last 20 min.

    `hr`: the 1 Hz HR stream of the test, at least 1800 s long; the last 1200 s are averaged.
    Returns Metric(None) when fewer than `min_valid_fraction` of those 1200 s have a reading.
    Citation: Friel, The Cyclist's Training Bible; joefrielsblog.com (2010/05).
    """
    h = as_float_array(hr, "hr")
    if h.size < 1800:
        raise ValueError(f"a Friel LTHR test needs a 30-min (1800 s) stream, got {h.size} s")
    last = h[-1200:]
    valid = last[~np.isnan(last)]
    value = float(valid.mean()) if valid.size >= min_valid_fraction * 1200 else None
    return Metric(value, "friel_30min", "bpm", {"valid_s": int(valid.size)})
