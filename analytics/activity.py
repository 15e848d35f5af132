"""Score one activity: every stream metric on the clean 1 Hz grid, and the load priority chain.

This is the entry point for a dbt Python model (one call per activity, thresholds in force on the
activity's date) and for the API.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl

from ._common import DEFAULTS, VARIANTS, choose, hr_range, positive, sex_key
from .efficiency import aerobic_decoupling, efficiency_factor, running_decoupling, running_efficiency_factor
from .power import average_power, normalized_power, tss, variability_index
from .running import grade_from_altitude, rtss
from .streams import DEFAULT_MAX_FILL_GAP_S, Stream, resample_1hz
from .trimp import hrss, trimp

DEFAULT_LOAD_PRIORITY: tuple[str, ...] = VARIANTS["load_source"]  # power_tss, rtss, hrss, session_rpe

# Logical channel -> default column name in the samples frame; override with `columns=`.
# The defaults are the column names of the warehouse's openfit.activity_samples.
DEFAULT_COLUMNS: dict[str, str] = {
    "time": "ts",
    "power": "power_w",
    "heart_rate": "heart_rate",
    "speed": "speed_mps",
    "distance": "distance_m",
    "altitude": "altitude_m",
}


@dataclass(frozen=True)
class Thresholds:
    """Athlete thresholds in force on the activity's date. Any may be None (the metrics needing it are null).

    ftp_w (W, cycling), lthr_bpm, hr_max_bpm, hr_rest_bpm (bpm), threshold_pace_s_per_km (s/km), sex
    ("male"/"female", for TRIMP coefficients), vt1_bpm/vt2_bpm (Lucia TRIMP only), run_ftp_w (W,
    running power threshold, e.g. from a running-power pod). Runs never use the cycling ftp_w: a run
    with power but no run_ftp_w gets no power TSS and falls through to rTSS/HRSS.
    """

    ftp_w: float | None = None
    lthr_bpm: float | None = None
    hr_max_bpm: float | None = None
    hr_rest_bpm: float | None = None
    threshold_pace_s_per_km: float | None = None
    sex: str = "male"
    vt1_bpm: float | None = None
    vt2_bpm: float | None = None
    run_ftp_w: float | None = None

    def __post_init__(self) -> None:
        for name in (
            "ftp_w",
            "lthr_bpm",
            "hr_max_bpm",
            "hr_rest_bpm",
            "threshold_pace_s_per_km",
            "vt1_bpm",
            "vt2_bpm",
            "run_ftp_w",
        ):
            value = getattr(self, name)
            if value is not None:
                positive(value, name)
        if self.hr_max_bpm is not None and self.hr_rest_bpm is not None:
            hr_range(self.hr_rest_bpm, self.hr_max_bpm)
            if self.lthr_bpm is not None and not self.hr_rest_bpm < self.lthr_bpm <= self.hr_max_bpm:
                raise ValueError(f"lthr_bpm ({self.lthr_bpm}) must lie in (hr_rest_bpm, hr_max_bpm]")
        object.__setattr__(self, "sex", sex_key(self.sex))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: Mapping[str, Any], sex: str = "male") -> Thresholds:
        """From an openfit.athlete_thresholds row (hr_max, hr_rest, lthr, ftp_w, threshold_pace_s_per_km);
        missing keys and nulls become None."""

        def get(key: str) -> float | None:
            value = row.get(key)
            return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)

        return cls(
            ftp_w=get("ftp_w"),
            lthr_bpm=get("lthr"),
            hr_max_bpm=get("hr_max"),
            hr_rest_bpm=get("hr_rest"),
            threshold_pace_s_per_km=get("threshold_pace_s_per_km"),
            sex=sex,
        )


def parse_priority(priority: str | Sequence[str]) -> tuple[str, ...]:
    """A load priority from a list or a comma-separated string (e.g. an OPENFIT_* setting)."""
    names = [p for p in (priority.split(",") if isinstance(priority, str) else priority)]
    parsed = tuple(choose("load_source", n) for n in names if str(n).strip())
    if not parsed:
        raise ValueError(f"empty load priority; valid names: {', '.join(VARIANTS['load_source'])}")
    if len(set(parsed)) != len(parsed):
        raise ValueError(f"load priority lists a source twice: {parsed}")
    return parsed


def activity_load(
    candidates: Mapping[str, float | None], priority: str | Sequence[str] = DEFAULT_LOAD_PRIORITY
) -> tuple[float | None, str | None]:
    """The activity's training load and the method that produced it: the first candidate in `priority`
    whose value is a finite number (None/NaN are skipped). Default order: power TSS, rTSS, HRSS,
    session-RPE × minutes (sports-science.md conventions). Returns (None, None) when none is available.
    Note session-RPE is in Foster AU, not TSS units: the source column tells the two apart.
    """
    order = parse_priority(priority)
    unknown = set(candidates) - set(VARIANTS["load_source"])
    if unknown:
        raise ValueError(
            f"unknown load source(s) {sorted(unknown)}; valid: {', '.join(VARIANTS['load_source'])}"
        )
    for name in order:
        value = candidates.get(name)
        if value is not None and math.isfinite(value):
            return float(value), name
    return None, None


def _is_run(sport: str | None) -> bool:
    return sport is not None and "run" in sport.lower()


def to_stream(
    samples: pl.DataFrame,
    columns: Mapping[str, str] | None = None,
    max_fill_gap_s: float = DEFAULT_MAX_FILL_GAP_S,
) -> Stream:
    """Resample an activity's samples frame to 1 Hz (`analytics.streams.resample_1hz`), keeping the
    known channels present in the frame under their logical names (power, heart_rate, speed, ...).

    Non-physical readings are sensor drop-outs and become null before resampling: heart rate <= 0 bpm,
    negative power, negative speed."""
    cols = {**DEFAULT_COLUMNS, **(columns or {})}
    if cols["time"] not in samples.columns:
        raise ValueError(
            f"samples have no time column {cols['time']!r}; columns: {', '.join(samples.columns)}"
        )
    channels = {}
    for logical, col in cols.items():
        if logical == "time" or col not in samples.columns:
            continue
        values = samples[col].cast(pl.Float64)
        if logical == "heart_rate":
            values = values.set(values <= 0, None)
        elif logical in ("power", "speed"):
            values = values.set(values < 0, None)
        channels[logical] = values
    return resample_1hz(samples[cols["time"]], channels, max_fill_gap_s=max_fill_gap_s)


def score_activity(
    samples: pl.DataFrame | Stream | None,
    thresholds: Thresholds,
    *,
    sport: str | None = None,
    session_rpe: float | None = None,
    duration_s: float | None = None,
    columns: Mapping[str, str] | None = None,
    max_fill_gap_s: float = DEFAULT_MAX_FILL_GAP_S,
    load_priority: str | Sequence[str] = DEFAULT_LOAD_PRIORITY,
    np_method: str = DEFAULTS["np"],
    trimp_method: str = DEFAULTS["trimp"],
    hrss_method: str = DEFAULTS["hrss"],
    rtss_method: str = DEFAULTS["rtss_pace"],
    gap_model: str = DEFAULTS["gap"],
) -> dict[str, Any]:
    """All per-activity metrics as one flat dict (one mart row).

    samples: a polars frame (columns per `DEFAULT_COLUMNS`, overridable by `columns`; absent channels
    are fine), an already-resampled `Stream`, or None for a manual entry (then give duration_s).
    Power TSS needs power + ftp_w (run_ftp_w for runs); rTSS needs a running `sport` (contains "run"), speed and
    threshold pace (grade-adjusted when altitude exists); HRSS needs HR + lthr, hr_rest, hr_max;
    session-RPE load = RPE × minutes (moving time, or duration_s). Each missing input leaves its
    metric None — never a guessed number. `load`/`load_source` come from `activity_load`.
    Aerobic efficiency (HR and an output needed; no threshold): runs use grade-adjusted speed (Friel's running
    EF in (m/min)/bpm, Pa:HR), every other sport power (EF in W/bpm, Pw:HR); `efficiency_basis` says which
    ("grade_adjusted_speed" / "power"). decoupling_pct is null under an hour of paired data (its validity range).
    Keys: elapsed_s, moving_s, duration_s, avg_power_w, np_w, ftp_used_w, if, tss, vi, work_kj, avg_hr_bpm, max_hr_bpm,
    trimp, hrss, rtss, session_rpe_load, efficiency_factor, decoupling_pct, efficiency_basis, load, load_source,
    the method names and the thresholds used.
    """
    np_method = choose("np", np_method)
    trimp_method = choose("trimp", trimp_method)
    hrss_method = choose("hrss", hrss_method)
    rtss_method = choose("rtss_pace", rtss_method)
    gap_model = choose("gap", gap_model)
    priority = parse_priority(load_priority)

    stream = to_stream(samples, columns, max_fill_gap_s) if isinstance(samples, pl.DataFrame) else samples
    row: dict[str, Any] = dict.fromkeys(
        ("elapsed_s", "moving_s", "avg_power_w", "np_w", "ftp_used_w", "if", "tss", "vi", "work_kj", "avg_hr_bpm",
         "max_hr_bpm", "trimp", "hrss", "rtss", "session_rpe_load", "efficiency_factor", "decoupling_pct",
         "efficiency_basis"),
    )  # fmt: skip
    if stream is not None:
        row["elapsed_s"] = stream.elapsed_s
        row["moving_s"] = stream.recorded_s
        power = stream.channels.get("power")
        if power is not None and not np.isnan(power).all():
            ftp = thresholds.run_ftp_w if _is_run(sport) else thresholds.ftp_w
            _score_power(row, power, ftp, np_method)
        hr = stream.channels.get("heart_rate")
        if hr is not None and not np.isnan(hr).all():
            _score_hr(row, hr, thresholds, trimp_method, hrss_method)
        speed = stream.channels.get("speed")
        if speed is None and "distance" in stream.channels:
            speed = np.gradient(stream.channels["distance"]) if stream.elapsed_s > 1 else None
        grade = None
        if _is_run(sport) and speed is not None and "altitude" in stream.channels and gap_model != "none":
            grade = grade_from_altitude(stream.channels["altitude"], stream.channels.get("distance"), speed)
        if _is_run(sport) and speed is not None and thresholds.threshold_pace_s_per_km is not None:
            row["rtss"] = rtss(speed, thresholds.threshold_pace_s_per_km, grade, rtss_method, gap_model).value
        if hr is not None and not np.isnan(hr).all():
            _score_efficiency(row, hr, power, speed, grade, _is_run(sport), gap_model)
    moving = duration_s if duration_s is not None else row["moving_s"]
    row["duration_s"] = moving
    if session_rpe is not None and moving is not None:
        from .load import session_rpe_load

        row["session_rpe_load"] = session_rpe_load(session_rpe, moving / 60.0)

    candidates = {
        "power_tss": row["tss"],
        "rtss": row["rtss"],
        "hrss": row["hrss"],
        "session_rpe": row["session_rpe_load"],
    }
    row["load"], row["load_source"] = activity_load(candidates, priority)
    row |= {
        "np_method": np_method, "trimp_method": trimp_method, "hrss_method": hrss_method,
        "rtss_method": rtss_method, "gap_model": gap_model, "load_priority": ",".join(priority),
        **{_threshold_key(k): v for k, v in thresholds.as_dict().items()},
    }  # fmt: skip
    return row


def _threshold_key(name: str) -> str:
    """Row key of a threshold used: threshold_ftp_w, threshold_pace_s_per_km, sex, ..."""
    if name == "sex" or name.startswith("threshold_"):
        return name
    return f"threshold_{name}"


def _score_power(row: dict, power: np.ndarray, ftp_w: float | None, np_method: str) -> None:
    valid_s = int((~np.isnan(power)).sum())
    avg = average_power(power)
    np_w = normalized_power(power, np_method).value
    row["avg_power_w"] = avg
    row["np_w"] = np_w
    row["work_kj"] = float(np.nansum(power)) / 1000.0
    if np_w is not None and avg is not None:
        row["vi"] = variability_index(np_w, avg)
    if np_w is not None and ftp_w is not None:
        row["if"] = np_w / ftp_w
        row["tss"] = tss(valid_s, np_w, ftp_w)
    row["ftp_used_w"] = ftp_w


def _score_efficiency(row: dict, hr, power, speed, grade, is_run: bool, gap_model: str) -> None:
    """EF and decoupling with the defaults (NP-style output, whole activity, null under an hour)."""
    if is_run and speed is not None and not np.isnan(speed).all():
        row["efficiency_basis"] = "grade_adjusted_speed"
        row["efficiency_factor"] = running_efficiency_factor(speed, hr, grade, gap_model=gap_model).value
        row["decoupling_pct"] = running_decoupling(speed, hr, grade, gap_model=gap_model).value
    elif not is_run and power is not None and not np.isnan(power).all():
        row["efficiency_basis"] = "power"
        row["efficiency_factor"] = efficiency_factor(power, hr).value
        row["decoupling_pct"] = aerobic_decoupling(power, hr).value


def _score_hr(row: dict, hr: np.ndarray, th: Thresholds, trimp_method: str, hrss_method: str) -> None:
    row["avg_hr_bpm"] = float(np.nanmean(hr))
    row["max_hr_bpm"] = float(np.nanmax(hr))
    have_range = th.hr_rest_bpm is not None and th.hr_max_bpm is not None
    needs = {
        "edwards": th.hr_max_bpm is not None,
        "lucia": th.vt1_bpm is not None and th.vt2_bpm is not None,
        "goldencheetah_zonal": th.lthr_bpm is not None,
    }
    if needs.get(trimp_method, have_range):
        row["trimp"] = trimp(
            hr, trimp_method, hr_rest=th.hr_rest_bpm, hr_max=th.hr_max_bpm, sex=th.sex,
            vt1_bpm=th.vt1_bpm, vt2_bpm=th.vt2_bpm, lthr=th.lthr_bpm,
        ).value  # fmt: skip
    if th.lthr_bpm is not None and th.hr_rest_bpm is not None and th.hr_max_bpm is not None:
        row["hrss"] = hrss(hr, th.lthr_bpm, th.hr_rest_bpm, th.hr_max_bpm, th.sex, hrss_method).value
