"""Data quality of an activity's signal: sensor faults found in its samples, and the samples without them.

Input: one activity's samples as a polars frame (one row per recorded sample, any order; the column names of
openfit.activity_samples by default: ts, heart_rate in bpm, power_w in W, speed_mps in m/s, cadence in 1/min,
lat/lon in degrees). The detectors work on the samples as recorded, NOT on the 1 Hz stream of
`analytics.streams`: that grid fills gaps of up to 5 s linearly, which would smear a 2-s spike or hide a short
dropout. Times are seconds from the first sample.

Every detector returns runs of flagged samples (consecutive flagged samples, bridging at most
`BRIDGE_SAMPLES` unflagged ones), one `SignalIssue` per run, with the channel, kind, sample range, offsets,
the number of flagged samples, a severity (`moderate`/`high`, as `analytics.wellness.SEVERITIES`), the worst
value against its threshold, and a plain-language explanation.

Kinds (`ISSUE_KINDS`), thresholds and where they come from ([P] primary source, [S] secondary/practitioner
source, [R] this project's reasoning; no published standard exists for most of these cut-offs):

- `hr_spike`: a heart-rate sample outside 25-230 bpm, or more than 25 bpm away from the median of the 31 s
  around it (a Hampel-type filter with a fixed band: Hampel 1974 [P]; the band is [R]: heart rate cannot move
  25 bpm away from its half-minute median and back within a few seconds; the fastest on-transient, phase I of the
  HR response, is on the order of 10-20 bpm over the first 10 s of exercise, Rossiter/Whipp kinetics [S]).
  The first and last 15 samples are checked against the range only (one-sided neighbours, and a start's
  fast rise).
- `hr_dropout`: heart rate 0 or missing for >= 5 consecutive samples while the athlete moves (speed >
  0.5 m/s, power > 0 W or cadence > 0), with heart-rate readings before and after it. 5 s is the longest
  gap the 1 Hz grid would fill by interpolation [R]: a longer hole is lost data, not jitter. Missing heart rate
  before the first or after the last reading is not a dropout: the HR device started later or stopped earlier
  than the one that recorded the timeline (in a merged activity, often by its clock skew).
- `cadence_lock`: heart rate within 3 bpm of the cadence (on runs also of twice the cadence, for devices
  counting strides) for >= 60 s while the cadence is above 100/min, and within 1 bpm for >= 80 % of those
  seconds (a heart rate that only crosses the cadence's range by chance is within 1 bpm about half the time): the optical sensor measures the arm-swing or
  footfall rhythm instead of the pulse (the known optical-HR artefact, described by sensor makers such as
  Valencell and by device reviews, e.g. DC Rainmaker [S]). 3 bpm, 1 bpm, 80 % and 60 s are [R]: two independent signals
  staying within 3 beats of each other for a minute is not chance on a real run.
- `gps_jump`: a position reached from the last good position at an implied speed above what the sport allows
  (`MAX_SPEED_MPS`: running 12.5 m/s, a little above Bolt's 12.4 m/s peak; cycling 30 m/s, a fast descent;
  swimming 3 m/s; walking/hiking 8 m/s; other 40 m/s) [R], and more than 50 m away (GPS noise of a few metres
  over one second must not count). The displaced fixes until the track comes back are the flagged samples.
- `power_spike`: power above the athlete's plausible maximum (6 x FTP when FTP is known, else 2,500 W: world-
  class track sprinters peak at about 1,600-2,500 W, Dorel et al. 2005 Int J Sports Med 26:739 [P]; the
  ratio of peak power to FTP of trained cyclists is about 3-5 [S], so 6 x leaves room [R]), or an isolated value
  (a run of at most 3 s) more than 500 W and 2.5 x above the median of the 31 s around it [R] (a real sprint
  builds over several seconds and lasts longer).
- `flat_line`: a channel stuck on one value (heart rate, speed, cadence >= 120 s; power >= 60 s) while another
  channel varies in the same samples [R]: real sensors jitter by at least one unit at 1 Hz. Low values are
  left out (below 40 bpm, 50 W, 1 m/s, 30/min) because coasting, soft pedalling and creeping repeat for real.

`clean_samples(samples, issues)` sets the flagged samples of each issue's channel to null (both lat and lon for
a GPS jump), so a load computed on the cleaned samples ignores them; the 1 Hz grid then interpolates over
holes of up to 5 s and leaves longer ones null.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl

from ._common import choose
from .geo import haversine_m

ISSUE_KINDS = ("hr_spike", "hr_dropout", "cadence_lock", "gps_jump", "power_spike", "flat_line")
# Channel names as the issues report them (the logical name, not the column name).
CHANNELS = ("heart_rate", "power", "speed", "cadence", "position")

SAMPLE_COLUMNS: dict[str, str] = {
    "time": "ts",
    "heart_rate": "heart_rate",
    "power": "power_w",
    "speed": "speed_mps",
    "cadence": "cadence",
    "lat": "lat",
    "lon": "lon",
}

BRIDGE_SAMPLES = 2  # unflagged samples a run may bridge (a fault rarely hits every sample of its stretch)
MEDIAN_WINDOW_S = 31  # centred window of the neighbour medians (spikes up to 15 samples leave it unmoved)

HR_MIN_BPM, HR_MAX_BPM = 25.0, 230.0
HR_SPIKE_BPM = 25.0
HR_SPIKE_HIGH_BPM = 50.0
DROPOUT_MIN_SAMPLES = 5
DROPOUT_HIGH_SAMPLES = 60
MOVING_SPEED_MPS = 0.5
LOCK_TOLERANCE_BPM = 3.0
LOCK_MIN_SAMPLES = 60
LOCK_HIGH_SAMPLES = 300
LOCK_MIN_CADENCE = 100.0
LOCK_EXACT_BPM = 1.0
LOCK_EXACT_SHARE = 0.8
MAX_SPEED_MPS: dict[str, float] = {
    "running": 12.5,
    "cycling": 30.0,
    "swimming": 3.0,
    "walking": 8.0,
    "hiking": 8.0,
}
DEFAULT_MAX_SPEED_MPS = 40.0
GPS_MIN_HOP_M = 50.0
GPS_HIGH_HOP_M = 500.0
GPS_MAX_RUN_SAMPLES = 120  # a longer "jump" is the track moving for good: re-anchor instead of flagging on
POWER_ABS_MAX_W = 2500.0
POWER_FTP_FACTOR = 6.0
POWER_SPIKE_MIN_W = 500.0
POWER_SPIKE_RATIO = 2.5
POWER_SPIKE_MAX_SAMPLES = 3
FLAT_MIN_SAMPLES: dict[str, int] = {"heart_rate": 120, "power": 60, "speed": 120, "cadence": 120}
# Below these a repeated value is real (soft pedalling at 1-2 W, creeping at walking pace, sensor resolution).
FLAT_FLOOR: dict[str, float] = {"heart_rate": 40.0, "power": 50.0, "speed": 1.0, "cadence": 30.0}
FLAT_HIGH_FACTOR = 5  # a flat line 5 x the minimum is high severity


@dataclass(frozen=True)
class SignalIssue:
    """One run of flagged samples. Indices are positions in the time-sorted samples (end inclusive); offsets are
    seconds from the first sample; value/threshold are in the channel's unit (bpm, W, m/s, 1/min; m for GPS
    hops, s for dropouts, flat lines and cadence lock: the run's duration against the minimum)."""

    channel: str
    kind: str
    start_index: int
    end_index: int
    start_offset_s: float
    end_offset_s: float
    samples: int
    severity: str
    value: float | None
    threshold: float | None
    explanation: str


def _seconds(time: pl.Series) -> np.ndarray:
    if time.dtype.is_temporal():
        return time.dt.epoch("us").cast(pl.Float64).to_numpy() / 1e6
    return time.cast(pl.Float64).to_numpy()


def _channel(samples: pl.DataFrame, column: str) -> np.ndarray | None:
    """The column as float with NaN for null; None when absent or never recorded."""
    if column not in samples.columns:
        return None
    values = samples[column].cast(pl.Float64).fill_null(float("nan")).to_numpy()
    return None if np.isnan(values).all() else values


def _runs(mask: np.ndarray, bridge: int = BRIDGE_SAMPLES) -> list[tuple[int, int]]:
    """(start, end inclusive) of runs of True, joining runs separated by at most `bridge` False samples."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > bridge + 1)
    starts = np.concatenate([[idx[0]], idx[breaks + 1]])
    ends = np.concatenate([idx[breaks], [idx[-1]]])
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def _centred_median(values: np.ndarray, window: int = MEDIAN_WINDOW_S) -> np.ndarray:
    """Median of the `window` samples centred on each one (NaN ignored; edges use what exists)."""
    half = window // 2
    padded = np.concatenate([np.full(half, np.nan), values, np.full(half, np.nan)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN window gives NaN, as intended
        return np.nanmedian(windows, axis=1)


def _issue(
    t: np.ndarray,
    run: tuple[int, int],
    mask: np.ndarray,
    channel: str,
    kind: str,
    severity: str,
    value: float | None,
    threshold: float | None,
    explanation: str,
) -> SignalIssue:
    start, end = run
    return SignalIssue(
        channel=channel,
        kind=kind,
        start_index=start,
        end_index=end,
        start_offset_s=float(t[start] - t[0]),
        end_offset_s=float(t[end] - t[0]),
        samples=int(np.count_nonzero(mask[start : end + 1])),
        severity=severity,
        value=None if value is None or not np.isfinite(value) else float(value),
        threshold=threshold,
        explanation=explanation,
    )


def _at(t: np.ndarray, i: int) -> str:
    s = int(round(t[i] - t[0]))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def hr_spikes(t: np.ndarray, hr: np.ndarray) -> list[SignalIssue]:
    """Heart-rate samples outside 25-230 bpm or more than 25 bpm from their 31-s median (zeros are dropouts)."""
    recorded = ~np.isnan(hr) & (hr > 0)
    median = _centred_median(np.where(recorded, hr, np.nan))
    deviation = np.abs(hr - median)
    outside = recorded & ((hr < HR_MIN_BPM) | (hr > HR_MAX_BPM))
    jump = recorded & (np.nan_to_num(deviation) > HR_SPIKE_BPM)
    # The first and last half-window have neighbours on one side only, and heart rate climbs fastest right at
    # a start: only the physiological range is checked there.
    half = MEDIAN_WINDOW_S // 2
    jump[:half] = False
    jump[max(0, hr.size - half) :] = False
    mask = outside | jump
    issues = []
    for run in _runs(mask):
        sl = slice(run[0], run[1] + 1)
        worst = float(np.nanmax(np.where(mask[sl], deviation[sl], np.nan)))
        peak = float(np.nanmax(np.where(mask[sl], hr[sl], np.nan)))
        high = bool(outside[sl].any()) or worst >= HR_SPIKE_HIGH_BPM
        issues.append(
            _issue(
                t, run, mask, "heart_rate", "hr_spike", "high" if high else "moderate", worst, HR_SPIKE_BPM,
                f"Heart rate jumps to {peak:.0f} bpm at {_at(t, run[0])}, {worst:.0f} bpm away from the "
                f"surrounding half-minute (more than {HR_SPIKE_BPM:.0f} bpm, or outside "
                f"{HR_MIN_BPM:.0f}-{HR_MAX_BPM:.0f} bpm): a heart cannot change that fast, so these "
                f"{int(np.count_nonzero(mask[sl]))} samples are sensor noise.",
            )
        )  # fmt: skip
    return issues


def _moving(n: int, speed, power, cadence) -> np.ndarray:
    moving = np.zeros(n, dtype=bool)
    if speed is not None:
        moving |= np.nan_to_num(speed) > MOVING_SPEED_MPS
    if power is not None:
        moving |= np.nan_to_num(power) > 0
    if cadence is not None:
        moving |= np.nan_to_num(cadence) > 0
    return moving


def hr_dropouts(t: np.ndarray, hr: np.ndarray, moving: np.ndarray) -> list[SignalIssue]:
    """Runs of >= 5 samples with heart rate 0 or missing while moving, with readings before and after."""
    lost = (np.isnan(hr) | (hr <= 0)) & moving
    readings = np.flatnonzero(~np.isnan(hr) & (hr > 0))
    issues = []
    for run in _runs(lost, bridge=0):
        n = run[1] - run[0] + 1
        if n < DROPOUT_MIN_SAMPLES:
            continue
        if readings.size == 0 or run[0] < readings[0] or run[1] > readings[-1]:
            continue  # before the first or after the last reading: the HR device was not recording yet/any more
        seconds = float(t[run[1]] - t[run[0]]) + 1.0
        issues.append(
            _issue(
                t, run, lost, "heart_rate", "hr_dropout",
                "high" if n >= DROPOUT_HIGH_SAMPLES else "moderate", seconds, float(DROPOUT_MIN_SAMPLES),
                f"Heart rate is missing for {seconds:.0f} s from {_at(t, run[0])} while you were moving: the "
                "sensor lost contact (strap dry or loose, watch slipped). Load from heart rate undercounts "
                "this stretch.",
            )
        )  # fmt: skip
    return issues


def cadence_lock(
    t: np.ndarray, hr: np.ndarray, cadence: np.ndarray, sport: str | None = None
) -> list[SignalIssue]:
    """Heart rate within 3 bpm of cadence (of 2 x cadence too on runs) for >= 60 s, cadence above 100/min, and
    within 1 bpm for at least 80 % of those seconds."""
    rhythms = (cadence, 2 * cadence) if sport == "running" else (cadence,)
    gap = np.min([np.abs(hr - r) + np.where(r > LOCK_MIN_CADENCE, 0, np.inf) for r in rhythms], axis=0)
    near = ~np.isnan(gap) & (gap <= LOCK_TOLERANCE_BPM)
    issues = []
    for run in _runs(near):
        n = run[1] - run[0] + 1
        if n < LOCK_MIN_SAMPLES:
            continue
        # Tracking, not crossing: a heart rate near the cadence by chance sits within 1 bpm of it about half
        # the time; a locked sensor reports the cadence itself.
        if np.mean(gap[run[0] : run[1] + 1] <= LOCK_EXACT_BPM) < LOCK_EXACT_SHARE:
            continue
        seconds = float(t[run[1]] - t[run[0]]) + 1.0
        sl = slice(run[0], run[1] + 1)
        issues.append(
            _issue(
                t, run, near, "heart_rate", "cadence_lock",
                "high" if n >= LOCK_HIGH_SAMPLES else "moderate", seconds, float(LOCK_MIN_SAMPLES),
                f"For {seconds:.0f} s from {_at(t, run[0])} heart rate follows your cadence within "
                f"{LOCK_TOLERANCE_BPM:.0f} bpm (about {np.nanmedian(hr[sl]):.0f}): the optical sensor is "
                "counting your steps, not your pulse (cadence lock). A tighter band or a chest strap avoids it.",
            )
        )  # fmt: skip
    return issues


def gps_jumps(t: np.ndarray, lat: np.ndarray, lon: np.ndarray, sport: str | None) -> list[SignalIssue]:
    """Fixes reached from the last good fix faster than the sport allows (and more than 50 m away)."""
    limit = MAX_SPEED_MPS.get(sport or "", DEFAULT_MAX_SPEED_MPS)
    positioned = np.flatnonzero(~np.isnan(lat) & ~np.isnan(lon))
    if positioned.size < 2:
        return []
    # Cheap test first: a jump's first displaced fix is too far from the fix just before it (everything before
    # was accepted), so a track without one too-fast consecutive hop has no jump and skips the walk below.
    a, b = positioned[:-1], positioned[1:]
    hops = np.asarray(haversine_m(lat[a], lon[a], lat[b], lon[b]), dtype=float)
    too_fast = (hops > GPS_MIN_HOP_M) & (hops / np.maximum(t[b] - t[a], 1.0) > limit)
    if not too_fast.any():
        return []
    flagged = np.zeros(lat.size, dtype=bool)
    hop = np.zeros(lat.size)
    anchor, pending = None, []
    for i in positioned.tolist():
        if anchor is None:
            anchor = i
            continue
        distance = float(haversine_m(lat[anchor], lon[anchor], lat[i], lon[i]))
        dt = max(float(t[i] - t[anchor]), 1.0)
        if distance > GPS_MIN_HOP_M and distance / dt > limit:
            pending.append(i)
            hop[i] = distance
            if (
                len(pending) > GPS_MAX_RUN_SAMPLES
            ):  # the track moved for good: keep only the first fix flagged
                pending = pending[:1]
                flagged[pending] = True
                anchor, pending = i, []
            continue
        flagged[pending] = True
        anchor, pending = i, []
    flagged[pending] = True
    issues = []
    for run in _runs(flagged):
        sl = slice(run[0], run[1] + 1)
        worst = float(hop[sl].max())
        issues.append(
            _issue(
                t, run, flagged, "position", "gps_jump", "high" if worst >= GPS_HIGH_HOP_M else "moderate",
                worst, limit,
                f"The GPS position jumps {worst:.0f} m at {_at(t, run[0])}, faster than {limit:.1f} m/s is "
                f"possible for {sport or 'this sport'}: {int(np.count_nonzero(flagged[sl]))} fixes are off the "
                "track (poor sky view, tall buildings, a tunnel). Distance and speed there are wrong.",
            )
        )  # fmt: skip
    return issues


def power_spikes(t: np.ndarray, power: np.ndarray, ftp_w: float | None) -> list[SignalIssue]:
    """Power above the plausible maximum, or an isolated burst far above the surrounding half-minute."""
    cap = POWER_FTP_FACTOR * ftp_w if ftp_w else POWER_ABS_MAX_W
    recorded = ~np.isnan(power)
    median = np.nan_to_num(_centred_median(power))
    above_cap = recorded & (power > cap)
    burst = recorded & (power > median + POWER_SPIKE_MIN_W) & (power > POWER_SPIKE_RATIO * median)
    isolated = np.zeros_like(burst)
    for start, end in _runs(burst, bridge=0):
        if end - start + 1 <= POWER_SPIKE_MAX_SAMPLES:
            isolated[start : end + 1] = True
    mask = above_cap | isolated
    issues = []
    for run in _runs(mask):
        sl = slice(run[0], run[1] + 1)
        peak = float(np.nanmax(np.where(mask[sl], power[sl], np.nan)))
        issues.append(
            _issue(
                t, run, mask, "power", "power_spike", "high" if above_cap[sl].any() else "moderate", peak, cap,
                f"Power spikes to {peak:.0f} W at {_at(t, run[0])} for {int(np.count_nonzero(mask[sl]))} s, far "
                f"above the ride around it (and {'above' if above_cap[sl].any() else 'below'} the plausible "
                f"maximum of {cap:.0f} W): a power-meter glitch. It inflates NP, TSS and the power curve.",
            )
        )  # fmt: skip
    return issues


def flat_lines(t: np.ndarray, channels: Mapping[str, np.ndarray | None]) -> list[SignalIssue]:
    """A channel stuck on one value (above its floor) for its minimum duration while another channel varies."""
    issues = []
    for name, minimum in FLAT_MIN_SAMPLES.items():
        values = channels.get(name)
        if values is None:
            continue
        same = np.zeros(values.size, dtype=bool)
        same[1:] = (values[1:] == values[:-1]) & (values[1:] >= FLAT_FLOOR[name])
        for start, end in _runs(same, bridge=0):
            start -= 1  # the first sample of the repeated value
            n = end - start + 1
            if n < minimum:
                continue
            sl = slice(start, end + 1)
            others = [v[sl] for k, v in channels.items() if k != name and v is not None]
            if not any(np.nanstd(v) > 0 for v in others if not np.isnan(v).all()):
                continue  # everything is still (a paused recording), not a stuck sensor
            mask = np.zeros(values.size, dtype=bool)
            mask[sl] = True
            seconds = float(t[end] - t[start]) + 1.0
            issues.append(
                _issue(
                    t, (start, end), mask, name, "flat_line",
                    "high" if n >= FLAT_HIGH_FACTOR * minimum else "moderate", seconds, float(minimum),
                    f"{name.replace('_', ' ').capitalize()} stays at exactly {values[start]:g} for {seconds:.0f} s "
                    f"from {_at(t, start)} while the other channels change: the sensor is stuck and repeats its "
                    "last value.",
                )
            )  # fmt: skip
    return issues


def detect_signal_issues(
    samples: pl.DataFrame,
    *,
    sport: str | None = None,
    ftp_w: float | None = None,
    columns: Mapping[str, str] | None = None,
) -> list[SignalIssue]:
    """Every detector over one activity's samples (sorted by time here), issues ordered by start then kind.

    sport: OpenFit sport (running, cycling, ...) for the GPS speed limit. ftp_w: the athlete's FTP in W, for the
    plausible power maximum (None: 2,500 W)."""
    cols = {**SAMPLE_COLUMNS, **(columns or {})}
    if cols["time"] not in samples.columns:
        raise ValueError(
            f"samples have no time column {cols['time']!r}; columns: {', '.join(samples.columns)}"
        )
    if samples.height == 0:
        return []
    frame = samples.sort(cols["time"])
    t = _seconds(frame[cols["time"]])
    hr, power, speed, cadence, lat, lon = (
        _channel(frame, cols[k]) for k in ("heart_rate", "power", "speed", "cadence", "lat", "lon")
    )
    issues: list[SignalIssue] = []
    if hr is not None:
        issues += hr_spikes(t, hr)
        issues += hr_dropouts(t, hr, _moving(t.size, speed, power, cadence))
        if cadence is not None:
            issues += cadence_lock(t, hr, cadence, sport)
    if lat is not None and lon is not None:
        issues += gps_jumps(t, lat, lon, sport)
    if power is not None:
        issues += power_spikes(t, power, ftp_w)
    issues += flat_lines(t, {"heart_rate": hr, "power": power, "speed": speed, "cadence": cadence})
    return sorted(issues, key=lambda i: (i.start_index, ISSUE_KINDS.index(i.kind), i.channel))


def issues_frame(issues: list[SignalIssue]) -> pl.DataFrame:
    """The issues as a polars frame (one row each, the SignalIssue fields as columns)."""
    schema = {
        "channel": pl.String, "kind": pl.String, "start_index": pl.Int64, "end_index": pl.Int64,
        "start_offset_s": pl.Float64, "end_offset_s": pl.Float64, "samples": pl.Int64, "severity": pl.String,
        "value": pl.Float64, "threshold": pl.Float64, "explanation": pl.String,
    }  # fmt: skip
    return pl.DataFrame([asdict(i) for i in issues], schema=schema)


def clean_samples(
    samples: pl.DataFrame, issues: list[SignalIssue], columns: Mapping[str, str] | None = None
) -> pl.DataFrame:
    """The samples (sorted by time, as the issues index them) with every issue's samples set to null in its
    channel (lat and lon for a GPS jump; the whole run, bridged samples included)."""
    cols = {**SAMPLE_COLUMNS, **(columns or {})}
    frame = samples.sort(cols["time"])
    targets = {name: np.zeros(frame.height, dtype=bool) for name in CHANNELS}
    for issue in issues:
        targets[issue.channel][issue.start_index : issue.end_index + 1] = True
    replaced = []
    for channel, mask in targets.items():
        names = [cols["lat"], cols["lon"]] if channel == "position" else [cols[channel]]
        for name in names:
            if mask.any() and name in frame.columns:
                replaced.append(pl.when(pl.Series(mask)).then(None).otherwise(pl.col(name)).alias(name))
    return frame.with_columns(replaced) if replaced else frame


def load_samples(
    samples: pl.DataFrame,
    load_stream: str = "raw",
    *,
    sport: str | None = None,
    ftp_w: float | None = None,
    columns: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """The samples a load is scored on (variant family `load_stream`): `raw` returns them as recorded,
    `cleaned` with every detected issue's samples set to null (`clean_samples`)."""
    if choose("load_stream", load_stream) == "raw":
        return samples
    issues = detect_signal_issues(samples, sport=sport, ftp_w=ftp_w, columns=columns)
    return clean_samples(samples, issues, columns)
