"""Aerobic efficiency: Efficiency Factor (EF) and aerobic decoupling (Pw:HR, Pa:HR).

Streams are 1 Hz with NaN for gaps (see `analytics.streams`): power in W, speed in m/s, HR in bpm.

Sources: Friel, "Aerobic endurance and decoupling" and "The efficiency factor in running"
(joefrieltraining.com; TrainingPeaks blog), the definitions TrainingPeaks implements; GoldenCheetah
src/AerobicDecoupling.cpp (Rhea 2009) for the average-power variant. Reference and the places the
implementations disagree: analytics/README.md, "Efficiency, decoupling and the 3-parameter CP model".

Which seconds count: only seconds with BOTH an output reading (power or speed) and an HR reading above
0 bpm ("paired" seconds). A stretch where the strap dropped out does not lower average HR's weight
against power recorded meanwhile, and vice versa. Zero power (coasting) is a reading and counts.
"""

from __future__ import annotations

import numpy as np

from ._common import Metric, as_float_array, choose, non_negative
from .power import normalized_power
from .running import grade_adjusted_speed

# Running EF speed units: TrainingPeaks/Friel quote yards per minute; OpenFit's default is metric.
SPEED_UNITS = {"m_per_min": 60.0, "yd_per_min": 60.0 / 0.9144}

# Friel's validity range for decoupling: a steady aerobic effort of about an hour or more.
DECOUPLING_MIN_DURATION_S = 3600


def _paired(output, hr) -> tuple[np.ndarray, np.ndarray]:
    """Output and HR with every second that lacks either reading set to NaN in both."""
    out = as_float_array(output, "output")
    h = as_float_array(hr, "hr")
    if out.size != h.size:
        raise ValueError(f"output ({out.size} s) and hr ({h.size} s) streams differ in length")
    if np.nanmin(out, initial=0.0) < 0:
        raise ValueError("output contains negative values")
    missing = np.isnan(out) | np.isnan(h) | (np.nan_to_num(h) <= 0)
    return np.where(missing, np.nan, out), np.where(missing, np.nan, h)


def _output_per_beat(out: np.ndarray, h: np.ndarray, method: str) -> tuple[float | None, float | None]:
    """(summary output, average HR) over paired seconds; None when undefined."""
    valid_hr = h[~np.isnan(h)]
    if valid_hr.size == 0:
        return None, None
    # "normalized": the NP formula (30-s rolling mean, 4th-power mean, 4th root; windows never span a gap);
    # on grade-adjusted speed it is the open stand-in for TrainingPeaks' Normalized Graded Pace.
    summary = normalized_power(out).value if method == "normalized" else float(np.nanmean(out))
    return summary, float(valid_hr.mean())


def _ef(output, hr, method: str, scale: float, unit: str) -> Metric:
    """The one EF implementation: summary(output) · scale / average HR over paired seconds."""
    method = choose("ef_output", method)
    out, h = _paired(output, hr)
    summary, avg_hr = _output_per_beat(out, h, method)
    params = {"avg_hr_bpm": avg_hr, "output": summary, "paired_s": int(np.count_nonzero(~np.isnan(h)))}
    if summary is None or avg_hr is None:
        return Metric(None, method, unit, params)
    return Metric(summary * scale / avg_hr, method, unit, params)


def efficiency_factor(power_w, hr_bpm, method: str = "normalized") -> Metric:
    """Cycling Efficiency Factor (W/bpm): EF = NP / average HR (Friel; TrainingPeaks).

    "normalized" (default): Normalized Power over paired seconds (`normalized_power`, valid windows).
    "average": average power instead of NP (GoldenCheetah's decoupling uses averages).
    Meaningful for steady aerobic rides compared with each other over weeks (same course, similar
    conditions); a rising EF is improving aerobic fitness. None without 30 s of paired data.
    Example: NP 200 W at 140 bpm → EF 1.4286 W/bpm.
    """
    return _ef(power_w, hr_bpm, method, 1.0, "W/bpm")


def running_efficiency_factor(
    speed_mps,
    hr_bpm,
    grade=None,
    method: str = "normalized",
    gap_model: str = "minetti",
    speed_unit: str = "m_per_min",
) -> Metric:
    """Running Efficiency Factor: EF = normalized graded speed / average HR ((m/min)/bpm by default).

    Speed is grade-adjusted (Minetti 2002, `grade_adjusted_speed`) when `grade` is given. "normalized"
    (default) applies the NP formula to the grade-adjusted speed (an open stand-in for TrainingPeaks'
    proprietary Normalized Graded Pace); "average" uses the mean grade-adjusted speed.
    `speed_unit`: "m_per_min" (default) or "yd_per_min", the unit Friel/TrainingPeaks quote: NGP 7:30/mile
    (8 mph = 234.7 yd/min) at 150 bpm → EF 1.56 (joefrieltraining.com, "The efficiency factor in
    running"); the same run is 1.43 in (m/min)/bpm.
    """
    if speed_unit not in SPEED_UNITS:
        raise ValueError(f"unknown speed_unit {speed_unit!r}; valid: {', '.join(SPEED_UNITS)}")
    unit = "(m/min)/bpm" if speed_unit == "m_per_min" else "(yd/min)/bpm"
    gap = grade_adjusted_speed(speed_mps, grade, gap_model)
    result = _ef(gap, hr_bpm, method, SPEED_UNITS[speed_unit], unit)
    return Metric(
        result.value,
        result.method,
        result.unit,
        {**result.params, "gap_model": gap_model if grade is not None else "none"},
    )


def aerobic_decoupling(
    output,
    hr_bpm,
    method: str = "normalized",
    warmup_s: float = 0,
    min_duration_s: float = DECOUPLING_MIN_DURATION_S,
) -> Metric:
    """Aerobic decoupling (%), Friel / TrainingPeaks Pw:HR (output = power, W) or Pa:HR (speed, m/s):

        decoupling = (EF₁ − EF₂) / EF₁ · 100,  EF = output / average HR of each half.

    Positive = HR rose relative to output (cardiac drift); Friel reads < 5 % as aerobically coupled.
    The output summary per half is `method`: "normalized" (default; NP of the half, so decoupling is the
    change of the same EF `efficiency_factor` reports) or "average" (mean output, as GoldenCheetah).
    On the steady efforts it is meant for, the two agree closely.
    Halves: the first `warmup_s` seconds of the stream are dropped (default 0, as TrainingPeaks over a
    whole workout; Friel's aerobic-threshold test excludes a 10-15 min warm-up), then the stream is cut
    where half of the remaining paired seconds lie before the cut, so each half holds the same recorded
    time whatever the pauses.
    Validity: steady aerobic efforts (not intervals, not races) of about an hour or more. Returns
    Metric(None) when the paired data after the warm-up span less than `min_duration_s` (default 3600 s;
    pass 0 to compute anyway) or a half has no defined EF.
    GoldenCheetah's "Aerobic Decoupling" differs: average power, the HR/power ratio rising relative to
    the first half, (r₂ − r₁)/r₁ = EF₁/EF₂ − 1 (7.69 % where this gives 7.14 % for HR 130 → 140 at
    constant power), halves by sample count, HR > 0 points only.
    """
    method = choose("ef_output", method)
    warmup = int(non_negative(warmup_s, "warmup_s"))
    min_duration = non_negative(min_duration_s, "min_duration_s")
    out, h = _paired(output, hr_bpm)
    out, h = out[warmup:], h[warmup:]
    paired_idx = np.flatnonzero(~np.isnan(h))
    params: dict = {"warmup_s": warmup, "paired_s": int(paired_idx.size), "min_duration_s": min_duration}
    if paired_idx.size < 2 or paired_idx[-1] - paired_idx[0] + 1 < min_duration:
        return Metric(None, method, "%", params)
    split = int(paired_idx[paired_idx.size // 2])  # first second of the second half (grid index)
    out1, hr1 = _output_per_beat(out[:split], h[:split], method)
    out2, hr2 = _output_per_beat(out[split:], h[split:], method)
    params["split_s"] = warmup + split
    if out1 is None or hr1 is None or out2 is None or hr2 is None or out1 == 0:
        return Metric(None, method, "%", params)
    ef1, ef2 = out1 / hr1, out2 / hr2
    params |= {"ef_first": ef1, "ef_second": ef2}
    return Metric((ef1 - ef2) / ef1 * 100.0, method, "%", params)


def running_decoupling(
    speed_mps,
    hr_bpm,
    grade=None,
    method: str = "normalized",
    gap_model: str = "minetti",
    warmup_s: float = 0,
    min_duration_s: float = DECOUPLING_MIN_DURATION_S,
) -> Metric:
    """Pa:HR decoupling (%) of a run: `aerobic_decoupling` on grade-adjusted speed (Minetti 2002 when
    `grade` is given), so a hilly second half is not read as drift. Speed, not pace: pace (s/km) is
    inverted, and EF = speed/HR is the quantity Friel's running EF uses."""
    gap = grade_adjusted_speed(speed_mps, grade, gap_model)
    return aerobic_decoupling(gap, hr_bpm, method, warmup_s=warmup_s, min_duration_s=min_duration_s)
