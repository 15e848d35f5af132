"""Wellness baselines, anomaly flags and a transparent readiness score.

Input is one row per athlete and local calendar day (resting HR, RMSSD, sleep, and the load series of
`daily_training_load`). Days without a measurement are null, never guessed. Every baseline uses only the days
*before* the day it judges, so a sick day cannot hide itself by raising its own baseline.

Windows (calendar days, local time):
- resting HR and sleep: median and MAD of the previous `BASELINE_DAYS` = 28 days, needing >= 14 measured days;
- HRV: ln RMSSD, its 7-day rolling mean (>= 3 measured days), judged against the mean ± 0.5 SD of daily ln RMSSD
  over the previous 60 days (>= 30 measured days): the smallest worthwhile change (Plews et al. 2012, 2013;
  Buchheit 2014).
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import TypeGuard, cast

import numpy as np
import polars as pl

from ._common import as_float_array, positive

# MAD × 1.4826 estimates the SD of normally distributed data (Leys et al. 2013; Rousseeuw & Croux 1993).
MAD_TO_SD = 1.4826
BASELINE_DAYS = 28
BASELINE_MIN_DAYS = 14
HRV_ROLLING_DAYS = 7
HRV_ROLLING_MIN_DAYS = 3
HRV_BASELINE_DAYS = 60
HRV_BASELINE_MIN_DAYS = 30
HRV_SWC_SD = 0.5
# Leys et al. 2013: median ± 2.5 MAD is "moderately conservative" (2 poorly, 3 very conservative).
RHR_Z_THRESHOLD = 2.5
RHR_Z_HIGH = 3.5
# Adults need 7 h or more per night (Watson et al. 2015, AASM/SRS consensus, Sleep 38:843-844).
SLEEP_NEED_S = 7 * 3600.0
# sleep_short flags a sleep debt building: the night, and the night before it, each an hour or more below need
# (6 h for the 7 h need); high when the night is two hours or more below (5 h). Chronic restriction to 6 h a
# night built up deficits like one to two nights without sleep within two weeks, and 4 h twice that (Van Dongen et
# al. 2003, Sleep 26:117-126). A night a few minutes under need is ordinary night-to-night variation (its SD is
# about half an hour), and one short night alone is common (a late evening, a flight): flagging every night under
# need fired 6.6 times per athlete-month on the synthetic cohort, and every night an hour under 1.2 times
# (benchmarks/anomalies.py). The cut-offs are the paper's; the two-night rule is ours.
SLEEP_SHORT_S = 3600.0
SLEEP_SHORT_HIGH_S = 7200.0
# "The night before" is the previous calendar day's row, not merely the previous row (days may be missing).
ONE_DAY = timedelta(days=1)
# ACWR above 1.5 is the "danger zone" of Gabbett 2016 (BJSM 50:273-280); above 2.0 we call it high.
ACWR_THRESHOLD = 1.5
ACWR_HIGH = 2.0
# CTL ramp (CTL_d − CTL_{d−7}, load units per day per week). Not from a paper: 8/week is the upper end of the
# ramp rates coaches commonly call sustainable (TrainingPeaks/Friel guidance [S]).
RAMP_THRESHOLD = 8.0
RAMP_HIGH = 12.0
# Foster 1998 (MSSE 30:1164-1168): illnesses clustered when weekly monotony exceeded 2.0.
MONOTONY_THRESHOLD = 2.0
MONOTONY_HIGH = 2.5
# The combined signal needs at least 2 of {RHR up, HRV down, sleep short}, each present on 2 consecutive days. Its
# signs are the days' own values against the athlete's baselines (not the 7-day HRV trend, which lags and, at
# 0.5 SD, is below its band on about one day in seven): resting HR robust z >= 1.5, ln RMSSD z <= -1.5 against the
# 60-day mean/SD, sleep below need and z <= -2 against the 28-day median/MAD (short for this athlete, not only
# for the population). Because two markers must agree on two days, each cut-off can be milder than a single
# flag's. The cut-offs were chosen on the synthetic cohort (benchmarks/anomalies.py), not taken from a paper.
ILLNESS_MIN_SIGNS = 2
ILLNESS_RHR_Z = 1.5
ILLNESS_HRV_Z = -1.5
ILLNESS_SLEEP_Z = -2.0

ANOMALY_KINDS = (
    "resting_hr_elevated", "hrv_below_swc", "sleep_short", "acwr_high", "ramp_steep", "monotony_high",
    "illness_or_overreaching",
)  # fmt: skip
SEVERITIES = ("moderate", "high")

# Readiness weights (this project's choice, documented, not from a paper): the two autonomic markers carry half,
# sleep a fifth, load the rest. A component that cannot be computed drops out and the others are renormalised.
READINESS_WEIGHTS = {"hrv": 0.30, "resting_hr": 0.20, "sleep": 0.20, "tsb": 0.15, "acwr": 0.15}
READINESS_MIN_COVERAGE = 0.5


# ------------------------------------------------------------------------------------------- baselines


def median_mad(values, scale: float = MAD_TO_SD) -> tuple[float, float]:
    """Median and scaled median absolute deviation of the finite values: MAD = scale · median(|x − median(x)|).

    scale 1.4826 makes MAD estimate the SD under normality (Leys, Ley, Klein, Bernard & Licata 2013, J Exp Soc
    Psychol 49:764-766; Hampel 1974). Example from Leys et al.: 1, 3, 3, 6, 8, 10, 10, 1000 → median 7,
    MAD 5.19. Returns (NaN, NaN) when no value is finite.
    """
    arr = as_float_array(values, "values", allow_empty=True)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return math.nan, math.nan
    med = float(np.median(arr))
    return med, scale * float(np.median(np.abs(arr - med)))


def rolling_baseline(values, window_days: int = BASELINE_DAYS, min_days: int = BASELINE_MIN_DAYS) -> dict:
    """Trailing robust baseline per day from the `window_days` days before it (today excluded).

    values: one per consecutive calendar day, NaN = not measured. Returns {"median", "mad", "days"} arrays;
    median and MAD are NaN where fewer than `min_days` of the window were measured.
    """
    arr = as_float_array(values, "values")
    n = arr.size
    med, mad, days = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, dtype=np.int64)
    for d in range(n):
        window = arr[max(0, d - window_days) : d]
        measured = window[~np.isnan(window)]
        days[d] = measured.size
        if measured.size >= min_days:
            med[d], mad[d] = median_mad(measured)
    return {"median": med, "mad": mad, "days": days}


def robust_z(value, median, mad, min_mad: float = 0.0) -> np.ndarray:
    """(value − median) / max(MAD, min_mad), elementwise; NaN where an input is NaN or the divisor is 0.

    `min_mad` keeps a very steady baseline (MAD ≈ 0) from turning a 1-unit change into a huge z.
    """
    v, m, s = (np.asarray(x, dtype=np.float64) for x in (value, median, mad))
    s = np.maximum(s, min_mad)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s > 0, (v - m) / s, np.nan)


def hrv_swc(
    rmssd_ms,
    rolling_days: int = HRV_ROLLING_DAYS,
    rolling_min_days: int = HRV_ROLLING_MIN_DAYS,
    baseline_days: int = HRV_BASELINE_DAYS,
    baseline_min_days: int = HRV_BASELINE_MIN_DAYS,
    swc_sd: float = HRV_SWC_SD,
) -> dict:
    """HRV trend against the smallest worthwhile change (Plews, Laursen, Kilding & Buchheit 2012, Eur J Appl
    Physiol 112:3729-3741; Plews et al. 2013, Sports Med 43:773-781; Buchheit 2014, Front Physiol 5:73).

    ln_rmssd_d = ln(RMSSD_d [ms]); rolling_d = mean of ln RMSSD over days d−6..d (>= `rolling_min_days` measured).
    baseline_mean_d, baseline_sd_d = mean and sample SD of daily ln RMSSD over the `baseline_days` days before d
    (>= `baseline_min_days` measured); SWC band = baseline_mean ± swc_sd · baseline_sd (0.5 SD).
    z_d = (rolling_d − baseline_mean_d) / baseline_sd_d; day_z_d = (ln_rmssd_d − baseline_mean_d) / baseline_sd_d.
    Non-positive RMSSD is treated as not measured. Returns arrays "ln_rmssd", "rolling", "baseline_mean",
    "baseline_sd", "swc_lower", "swc_upper", "z", "day_z", "baseline_days".
    """
    raw = as_float_array(rmssd_ms, "rmssd_ms")
    with np.errstate(invalid="ignore", divide="ignore"):
        ln = np.where(raw > 0, np.log(raw), np.nan)
    n = ln.size
    rolling, mean, sd = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    days = np.zeros(n, dtype=np.int64)
    for d in range(n):
        recent = ln[max(0, d - rolling_days + 1) : d + 1]
        recent = recent[~np.isnan(recent)]
        if recent.size >= rolling_min_days:
            rolling[d] = recent.mean()
        base = ln[max(0, d - baseline_days) : d]
        base = base[~np.isnan(base)]
        days[d] = base.size
        if base.size >= max(baseline_min_days, 2):
            mean[d], sd[d] = base.mean(), base.std(ddof=1)
    half_band = swc_sd * sd
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(sd > 0, (rolling - mean) / sd, np.nan)
        day_z = np.where(sd > 0, (ln - mean) / sd, np.nan)
    return {"ln_rmssd": ln, "rolling": rolling, "baseline_mean": mean, "baseline_sd": sd,
            "swc_lower": mean - half_band, "swc_upper": mean + half_band, "z": z, "day_z": day_z,
            "baseline_days": days}  # fmt: skip


_INPUT_COLUMNS = ("resting_hr", "hrv_rmssd_ms", "sleep_s", "tsb", "acwr", "ramp_rate", "monotony")


_BASELINE_SCHEMA = {
    "athlete_id": pl.String, "date": pl.Date, **dict.fromkeys(_INPUT_COLUMNS, pl.Float64),
    "rhr_baseline_median": pl.Float64, "rhr_baseline_mad": pl.Float64, "rhr_baseline_days": pl.Int64,
    "rhr_z": pl.Float64, "hrv_ln_rmssd": pl.Float64, "hrv_ln_rmssd_7d": pl.Float64,
    "hrv_baseline_mean": pl.Float64, "hrv_baseline_sd": pl.Float64, "hrv_swc_lower": pl.Float64,
    "hrv_swc_upper": pl.Float64, "hrv_baseline_days": pl.Int64, "hrv_z": pl.Float64, "hrv_day_z": pl.Float64,
    "sleep_baseline_median": pl.Float64, "sleep_baseline_mad": pl.Float64, "sleep_baseline_days": pl.Int64,
    "sleep_z": pl.Float64, "sleep_need_s": pl.Float64,
}  # fmt: skip


def wellness_baselines(daily: pl.DataFrame, sleep_need_s: float = SLEEP_NEED_S) -> pl.DataFrame:
    """Per athlete, every calendar day from the first to the last row: the inputs and their baselines.

    daily: athlete_id, date and any of resting_hr [bpm], hrv_rmssd_ms [ms], sleep_s [s], tsb, acwr, ramp_rate,
    monotony (missing columns are null). Resting HR and sleep: `rolling_baseline` (28 days, median/MAD);
    HRV: `hrv_swc` (ln RMSSD, 7-day mean vs 60-day mean ± 0.5 SD). rhr_z uses a MAD floor of 1 bpm and
    sleep_z a floor of 15 min, so a flat baseline does not make every small change extreme.
    """
    positive(sleep_need_s, "sleep_need_s")
    frame = daily.with_columns(
        [pl.lit(None, dtype=pl.Float64).alias(c) for c in _INPUT_COLUMNS if c not in daily.columns]
    ).select(["athlete_id", "date", *[pl.col(c).cast(pl.Float64) for c in _INPUT_COLUMNS]])
    parts = []
    for (athlete,), rows in frame.sort("date").group_by(["athlete_id"], maintain_order=True):
        # A non-empty group's min and max dates (an athlete whose dates are all null fails in date_range).
        first, last = cast(date, rows["date"].min()), cast(date, rows["date"].max())
        days = pl.DataFrame({"date": pl.date_range(first, last, "1d", eager=True)})
        full = days.join(rows.drop("athlete_id").unique("date", keep="last"), on="date", how="left")
        rhr = full["resting_hr"].cast(pl.Float64).to_numpy()
        sleep = full["sleep_s"].cast(pl.Float64).to_numpy()
        rhr_base = rolling_baseline(rhr)
        sleep_base = rolling_baseline(sleep)
        hrv = hrv_swc(full["hrv_rmssd_ms"].cast(pl.Float64).to_numpy())
        parts.append(full.with_columns(
            pl.lit(athlete).alias("athlete_id"),
            pl.Series("rhr_baseline_median", rhr_base["median"]),
            pl.Series("rhr_baseline_mad", rhr_base["mad"]),
            pl.Series("rhr_baseline_days", rhr_base["days"]),
            pl.Series("rhr_z", robust_z(rhr, rhr_base["median"], rhr_base["mad"], min_mad=1.0)),
            pl.Series("hrv_ln_rmssd", hrv["ln_rmssd"]),
            pl.Series("hrv_ln_rmssd_7d", hrv["rolling"]),
            pl.Series("hrv_baseline_mean", hrv["baseline_mean"]),
            pl.Series("hrv_baseline_sd", hrv["baseline_sd"]),
            pl.Series("hrv_swc_lower", hrv["swc_lower"]),
            pl.Series("hrv_swc_upper", hrv["swc_upper"]),
            pl.Series("hrv_baseline_days", hrv["baseline_days"]),
            pl.Series("hrv_z", hrv["z"]),
            pl.Series("hrv_day_z", hrv["day_z"]),
            pl.Series("sleep_baseline_median", sleep_base["median"]),
            pl.Series("sleep_baseline_mad", sleep_base["mad"]),
            pl.Series("sleep_baseline_days", sleep_base["days"]),
            pl.Series("sleep_z", robust_z(sleep, sleep_base["median"], sleep_base["mad"], min_mad=900.0)),
            pl.lit(float(sleep_need_s)).alias("sleep_need_s"),
        ))  # fmt: skip
    if not parts:
        return pl.DataFrame(schema=_BASELINE_SCHEMA)
    # Float NaN (not computable) becomes null, the warehouse's one spelling of "no value".
    out = pl.concat(parts, how="vertical_relaxed")
    floats = [c for c, t in out.schema.items() if t == pl.Float64]
    return out.with_columns([pl.col(c).fill_nan(None) for c in floats]).select(
        "athlete_id", "date", *[c for c in out.columns if c not in ("athlete_id", "date")]
    )


# -------------------------------------------------------------------------------------------- anomalies


def _is(x: object) -> TypeGuard[float]:
    """True for a value that is there: not null and not NaN."""
    return x is not None and not (isinstance(x, float) and math.isnan(x))


# The load flags: one daily_training_load value above its threshold ("high" above the second), no baseline.
# (kind, column, threshold, high, unit, explanation of the value)
_LOAD_FLAGS = (
    (
        "acwr_high",
        "acwr",
        ACWR_THRESHOLD,
        ACWR_HIGH,
        "ratio",
        lambda v: (
            f"Acute:chronic workload ratio {v:.2f} is above {ACWR_THRESHOLD}: this week's load is well above "
            "what the last four weeks prepared for, when injury risk rises (Gabbett 2016)."
        ),
    ),
    (
        "ramp_steep",
        "ramp_rate",
        RAMP_THRESHOLD,
        RAMP_HIGH,
        "load/day per week",
        lambda v: (
            f"Fitness (CTL) rose {v:.1f} in 7 days, faster than the {RAMP_THRESHOLD:.0f} per week usually "
            "sustainable; plan easier days."
        ),
    ),
    (
        "monotony_high",
        "monotony",
        MONOTONY_THRESHOLD,
        MONOTONY_HIGH,
        "ratio",
        lambda v: (
            f"Training monotony {v:.2f} over the last 7 days is above {MONOTONY_THRESHOLD}: days are too "
            "alike, with little easy time between loads (Foster 1998 linked this to illness)."
        ),
    ),
)


def _short_night(day: dict | None) -> bool:
    sleep, need = (day or {}).get("sleep_s"), (day or {}).get("sleep_need_s")
    return _is(sleep) and _is(need) and sleep <= need - SLEEP_SHORT_S


def _day_flags(row: dict, yesterday: dict | None = None) -> list[dict]:
    """The single-marker flags of one athlete-day (a row of `wellness_baselines`; `yesterday`: the row of the
    day before, if there is one)."""
    flags = []

    def flag(kind, high, value, threshold, baseline, unit, text):
        flags.append({"kind": kind, "severity": "high" if high else "moderate", "value": float(value),
                      "threshold": float(threshold), "baseline": None if baseline is None else float(baseline),
                      "unit": unit, "explanation": text})  # fmt: skip

    z = row.get("rhr_z")
    if _is(z) and z >= RHR_Z_THRESHOLD:
        med = row["rhr_baseline_median"]
        flag(
            "resting_hr_elevated",
            z >= RHR_Z_HIGH,
            row["resting_hr"],
            RHR_Z_THRESHOLD,
            med,
            "bpm",
            f"Resting heart rate {row['resting_hr']:.0f} bpm is {row['resting_hr'] - med:+.0f} bpm above the "
            f"usual {med:.0f} bpm (28-day median), {z:.1f} robust SDs; a rise like this often comes with "
            "illness, poor recovery, heat, alcohol or stress.",
        )
    lower, rolling = row.get("hrv_swc_lower"), row.get("hrv_ln_rmssd_7d")
    if _is(lower) and _is(rolling) and rolling < lower:
        mean, sd = row["hrv_baseline_mean"], row["hrv_baseline_sd"]
        flag(
            "hrv_below_swc",
            rolling < mean - 2 * HRV_SWC_SD * sd,
            rolling,
            lower,
            mean,
            "ln(ms)",
            f"HRV 7-day average (ln RMSSD {rolling:.2f}, about {math.exp(rolling):.0f} ms) is below the normal "
            f"band {lower:.2f}-{row['hrv_swc_upper']:.2f} (60-day mean ± 0.5 SD): a meaningful drop, "
            "often a sign of accumulated fatigue or oncoming illness.",
        )
    if _short_night(row) and _short_night(yesterday):
        sleep, need, before = row["sleep_s"], row["sleep_need_s"], yesterday["sleep_s"]  # type: ignore[index]
        flag(
            "sleep_short",
            sleep <= need - SLEEP_SHORT_HIGH_S,
            sleep,
            need - SLEEP_SHORT_S,
            row.get("sleep_baseline_median"),
            "s",
            f"Slept {sleep / 3600:.1f} h, {(need - sleep) / 60:.0f} min short of the {need / 3600:.1f} h "
            f"adults need, after {before / 3600:.1f} h the night before: a sleep debt is building, and "
            "recovery and next-day performance suffer.",
        )
    for kind, column, threshold, high, unit, explain in _LOAD_FLAGS:
        value = row.get(column)
        if _is(value) and value > threshold:
            flag(kind, value > high, value, threshold, None, unit, explain(value))
    return flags


_SIGN_WORDS = {"resting_hr_up": "resting HR up", "hrv_down": "HRV down", "sleep_short": "sleep short"}


def _both_days(today: dict, yesterday: dict | None, column: str, beyond) -> bool:
    """True when the column crosses the threshold (`beyond(value)`) on today and on yesterday."""
    return yesterday is not None and all(
        _is(day.get(column)) and beyond(day[column]) for day in (today, yesterday)
    )


def illness_signs(today: dict, yesterday: dict | None) -> set[str]:
    """Signs for the combined illness/overreaching signal, each present on today AND yesterday (two consecutive
    days must agree, so one noisy day is never enough): resting HR robust z >= ILLNESS_RHR_Z, daily ln RMSSD
    z <= ILLNESS_HRV_Z, sleep below need with z <= ILLNESS_SLEEP_Z."""
    signs: set[str] = set()
    if yesterday is None:
        return signs
    if _both_days(today, yesterday, "rhr_z", lambda z: z >= ILLNESS_RHR_Z):
        signs.add("resting_hr_up")
    if _both_days(today, yesterday, "hrv_day_z", lambda z: z <= ILLNESS_HRV_Z):
        signs.add("hrv_down")
    short = _both_days(today, yesterday, "sleep_z", lambda z: z <= ILLNESS_SLEEP_Z) and all(
        _is(day.get("sleep_s")) and _is(day.get("sleep_need_s")) and day["sleep_s"] < day["sleep_need_s"]
        for day in (today, yesterday)
    )
    if short:
        signs.add("sleep_short")
    return signs


def detect_anomalies(baselines: pl.DataFrame) -> pl.DataFrame:
    """Flags per athlete-day from a `wellness_baselines` frame: one row per (athlete_id, date, kind).

    Single-marker kinds (thresholds are the module constants, each cited there): resting_hr_elevated (robust z
    >= 2.5, high >= 3.5), hrv_below_swc (7-day ln RMSSD below mean − 0.5 SD, high below mean − 1 SD),
    sleep_short (this night and the one before each an hour or more below need; high when this night is two
    hours or more below), acwr_high (> 1.5, high > 2.0), ramp_steep (CTL ramp
    > 8 per week, high > 12), monotony_high (> 2.0, high > 2.5).
    illness_or_overreaching: at least 2 of `illness_signs` {resting HR up (z >= 1.5), HRV down (daily ln RMSSD
    z <= -1.5), sleep short (below need and z <= -2)}, each present on this day and the day before (agreeing
    evidence, not one noisy day); high when all three agree. `evidence` lists the signs.
    """
    rows = []
    if baselines.height == 0:
        baselines = pl.DataFrame(schema=_BASELINE_SCHEMA)
    for (athlete,), days in baselines.sort("date").group_by(["athlete_id"], maintain_order=True):
        streak = 0  # consecutive days flagged
        yesterday = None
        for row in days.iter_rows(named=True):
            consecutive = yesterday is not None and row["date"] - yesterday["date"] == ONE_DAY
            day_before: dict | None = yesterday if consecutive else None
            flags = _day_flags(row, day_before)
            signs = illness_signs(row, yesterday)
            yesterday = row
            streak = streak + 1 if len(signs) >= ILLNESS_MIN_SIGNS else 0
            for f in flags:
                rows.append({"athlete_id": athlete, "date": row["date"], **f, "evidence": None})
            if streak:
                words = ", ".join(word for sign, word in _SIGN_WORDS.items() if sign in signs)
                rows.append({
                    "athlete_id": athlete, "date": row["date"], "kind": "illness_or_overreaching",
                    "severity": "high" if len(signs) == len(_SIGN_WORDS) else "moderate",
                    "value": float(len(signs)), "threshold": float(ILLNESS_MIN_SIGNS), "baseline": None,
                    "unit": "signs", "evidence": words,
                    "explanation": f"Two days in a row agree on {words} (flagged {streak} day(s) running). "
                    "Together these often come before an illness or mark overreaching: consider rest or an easy "
                    "day, and see how you feel.",
                })  # fmt: skip
    schema = {"athlete_id": pl.String, "date": pl.Date, "kind": pl.String, "severity": pl.String,
              "value": pl.Float64, "threshold": pl.Float64, "baseline": pl.Float64, "unit": pl.String,
              "explanation": pl.String, "evidence": pl.String}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


# -------------------------------------------------------------------------------------------- readiness


def _clip100(x: float) -> float:
    return float(min(100.0, max(0.0, x)))


def readiness_components(
    hrv_z=None, rhr_z=None, sleep_s=None, sleep_need_s: float = SLEEP_NEED_S, tsb=None, acwr=None
) -> dict:
    """Component scores 0-100 of one day (None where the input is missing). Linear maps, this project's
    choice, chosen so that the athlete's own usual value scores 75 and each SD better or worse moves 25:

    hrv = 75 + 25·z (z of the 7-day ln RMSSD vs its 60-day baseline, higher is better);
    resting_hr = 75 − 25·z (robust z vs the 28-day median, lower is better);
    sleep = 100 at or above need, 0 at 3 h or more short, linear between;
    tsb = 75 + 2.5·TSB (TSB −30 → 0, +10 → 100);
    acwr = 100 up to 1.3 (Gabbett 2016's upper "sweet spot"), 0 at 2.0 and above, linear between.
    All clipped to [0, 100].
    """
    out: dict[str, float | None] = dict.fromkeys(READINESS_WEIGHTS)
    if _is(hrv_z):
        out["hrv"] = _clip100(75.0 + 25.0 * hrv_z)
    if _is(rhr_z):
        out["resting_hr"] = _clip100(75.0 - 25.0 * rhr_z)
    if _is(sleep_s):
        short_h = max(0.0, sleep_need_s - sleep_s) / 3600.0
        out["sleep"] = _clip100(100.0 * (1.0 - short_h / 3.0))
    if _is(tsb):
        out["tsb"] = _clip100(75.0 + 2.5 * tsb)
    if _is(acwr):
        out["acwr"] = _clip100(100.0 * (2.0 - acwr) / 0.7) if acwr > 1.3 else 100.0
    return out


def readiness_score(components: dict, weights: dict | None = None) -> tuple[float | None, float]:
    """Weighted mean of the available components: Σ w·c / Σ w over components that are not None.

    Returns (score, coverage) with coverage = Σ w of the available components / Σ all w; the score is None
    when coverage < READINESS_MIN_COVERAGE (too little evidence to say anything).
    """
    weights = weights or READINESS_WEIGHTS
    total = sum(weights.values())
    have = {k: c for k, c in components.items() if c is not None and k in weights}
    covered = sum(weights[k] for k in have)
    coverage = covered / total if total else 0.0
    if not have or coverage < READINESS_MIN_COVERAGE:
        return None, coverage
    return sum(weights[k] * c for k, c in have.items()) / covered, coverage


def readiness(baselines: pl.DataFrame, weights: dict | None = None) -> pl.DataFrame:
    """Daily readiness per athlete from a `wellness_baselines` frame: the score, its coverage, and for each
    component its input, its 0-100 score and its weight (`readiness_components`, `readiness_score`)."""
    weights = weights or READINESS_WEIGHTS
    rows = []
    if baselines.height == 0:
        baselines = pl.DataFrame(schema=_BASELINE_SCHEMA)
    for row in baselines.sort(["athlete_id", "date"]).iter_rows(named=True):
        parts = readiness_components(
            row.get("hrv_z"),
            row.get("rhr_z"),
            row.get("sleep_s"),
            row.get("sleep_need_s") or SLEEP_NEED_S,
            row.get("tsb"),
            row.get("acwr"),
        )
        score, coverage = readiness_score(parts, weights)
        out = {"athlete_id": row["athlete_id"], "date": row["date"], "score": score, "coverage": coverage,
               "hrv_z": row.get("hrv_z"), "rhr_z": row.get("rhr_z"), "sleep_s": row.get("sleep_s"),
               "tsb": row.get("tsb"), "acwr": row.get("acwr")}  # fmt: skip
        for name, value in parts.items():
            out[f"{name}_component"] = value
            out[f"{name}_weight"] = float(weights[name])
        rows.append(out)
    schema = {"athlete_id": pl.String, "date": pl.Date, "score": pl.Float64, "coverage": pl.Float64,
              "hrv_z": pl.Float64, "rhr_z": pl.Float64, "sleep_s": pl.Float64, "tsb": pl.Float64,
              "acwr": pl.Float64}  # fmt: skip
    for name in weights:
        schema[f"{name}_component"] = pl.Float64
        schema[f"{name}_weight"] = pl.Float64
    return pl.DataFrame(rows, schema=schema)
