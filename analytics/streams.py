"""Streams on a clean 1 Hz grid.

Every stream-based metric in this package assumes one value per second, with NaN where the athlete
was not recording (a pause, a gap) or a sensor had no reading. `resample_1hz` produces that grid.

The rule (documented once, used everywhere):

1. Timestamps are seconds (float, or datetimes converted to epoch seconds). Samples are sorted by
   time; each is snapped to the nearest whole second after the first sample's second. Several samples
   landing on the same second are averaged (per channel, ignoring nulls).
2. The grid runs from the first to the last sample's second, one row per second.
3. For each channel separately, seconds between two consecutive non-null readings that are at most
   `max_fill_gap_s` apart are filled: linearly interpolated (`fill="linear"`, default) or carried
   forward (`fill="previous"`). This covers "smart recording" (a sample every 1-8 s) and brief
   sensor drop-outs.
4. Seconds inside a longer gap (> `max_fill_gap_s`: an auto-pause, a stopped timer, a lost sensor)
   are NaN. Nothing is interpolated across them, so they add no time, work or heart beats.
5. `recorded` marks the seconds covered by the recording itself (steps 3/4 applied to the timestamps
   regardless of channel values); `recorded.sum()` is the moving (timer) time in seconds.

Metrics then treat NaN seconds explicitly: rolling windows that contain one are invalid (NP, power
curve), time integrals skip them (TRIMP, time in zone, TSS duration), and W'bal treats them as rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from ._common import as_float_array, positive

DEFAULT_MAX_FILL_GAP_S = 5.0
MAX_SPAN_S = 7 * 86400  # a longer "activity" is a clock error; refusing it avoids a giant grid
FILL_METHODS = ("linear", "previous")


@dataclass(frozen=True)
class Stream:
    """Channels on a 1 Hz grid. `t_s[i] == i` seconds after `start_s` (epoch seconds or 0)."""

    start_s: float
    t_s: np.ndarray
    channels: dict[str, np.ndarray]
    recorded: np.ndarray
    max_fill_gap_s: float
    fill: str

    @property
    def elapsed_s(self) -> int:
        return int(self.t_s.size)

    @property
    def recorded_s(self) -> int:
        return int(self.recorded.sum())

    def __getitem__(self, name: str) -> np.ndarray:
        return self.channels[name]

    def to_polars(self) -> pl.DataFrame:
        return pl.DataFrame({"t_s": self.t_s, "recorded": self.recorded, **self.channels})


def _time_seconds(time: Any) -> np.ndarray:
    """Seconds as float64 from numbers, numpy datetime64 or a polars Datetime/Duration series."""
    if isinstance(time, pl.Series):
        if time.dtype == pl.Datetime or isinstance(time.dtype, pl.Datetime):
            time = time.dt.epoch("us").cast(pl.Float64) / 1e6
        elif isinstance(time.dtype, pl.Duration):
            time = time.dt.total_microseconds().cast(pl.Float64) / 1e6
        if time.null_count():
            raise ValueError("timestamps contain nulls; drop those samples first")
        time = time.to_numpy()
    arr = np.asarray(time)
    if np.issubdtype(arr.dtype, np.datetime64):
        if np.isnat(arr).any():
            raise ValueError("timestamps contain NaT; drop those samples first")
        return arr.astype("datetime64[us]").astype(np.int64) / 1e6
    arr = as_float_array(arr, "timestamps", allow_nan=False)
    return arr


def resample_1hz(
    time: Any,
    channels: Mapping[str, Any],
    *,
    max_fill_gap_s: float = DEFAULT_MAX_FILL_GAP_S,
    fill: str = "linear",
) -> Stream:
    """Put irregular samples on a 1 Hz grid without interpolating across pauses.

    time: seconds (float) or datetimes, one per sample. channels: name -> values (nulls allowed).
    max_fill_gap_s: the longest gap (s) between two readings that is filled (default 5 s).
    fill: "linear" or "previous" for the seconds inside a short gap.
    Returns a `Stream`; see the module docstring for the full rule. Raises ValueError on empty input,
    mismatched lengths, non-finite timestamps, a span over 7 days (a clock error) or an unknown fill.
    """
    if fill not in FILL_METHODS:
        raise ValueError(f"unknown fill {fill!r}; valid: {', '.join(FILL_METHODS)}")
    max_fill_gap_s = positive(max_fill_gap_s, "max_fill_gap_s")
    t = _time_seconds(time)
    if t.size == 0:
        raise ValueError("no samples to resample")
    values = {name: as_float_array(v, f"channel {name!r}", allow_empty=True) for name, v in channels.items()}
    for name, v in values.items():
        if v.size != t.size:
            raise ValueError(f"channel {name!r} has {v.size} values for {t.size} timestamps")

    order = np.argsort(t, kind="stable")
    t = t[order]
    origin = np.floor(t[0])
    sec = np.rint(t - origin).astype(np.int64)
    n = int(sec[-1]) + 1
    if n > MAX_SPAN_S:
        raise ValueError(f"samples span {n} s (> {MAX_SPAN_S} s, 7 days): check the device clock")
    grid = np.arange(n, dtype=np.int64)

    # Unique seconds (duplicates averaged per channel below).
    uniq, inverse = np.unique(sec, return_inverse=True)
    recorded = _covered(uniq, n, max_fill_gap_s)

    out: dict[str, np.ndarray] = {}
    for name, v in values.items():
        v = v[order]
        ok = ~np.isnan(v)
        sums = np.bincount(inverse, weights=np.where(ok, v, 0.0), minlength=uniq.size)
        counts = np.bincount(inverse, weights=ok.astype(np.float64), minlength=uniq.size)
        has = counts > 0
        ts, vs = uniq[has], sums[has] / counts[has]
        out[name] = _fill_channel(ts, vs, grid, max_fill_gap_s, fill)
    return Stream(
        start_s=float(origin),
        t_s=grid,
        channels=out,
        recorded=recorded,
        max_fill_gap_s=max_fill_gap_s,
        fill=fill,
    )


def _covered(ts: np.ndarray, n: int, max_gap: float) -> np.ndarray:
    """Seconds that are a sample second or lie inside a gap of at most max_gap between samples."""
    mask = np.zeros(n, dtype=bool)
    mask[ts] = True
    if ts.size > 1:
        gaps = np.diff(ts)
        short = (gaps > 1) & (gaps <= max_gap)
        # Mark the interior of every short gap: a difference array avoids a Python loop.
        mark = np.zeros(n + 1, dtype=np.int64)
        np.add.at(mark, ts[:-1][short] + 1, 1)
        np.add.at(mark, ts[1:][short], -1)
        mask |= np.cumsum(mark[:-1]) > 0
    return mask


def _fill_channel(ts: np.ndarray, vs: np.ndarray, grid: np.ndarray, max_gap: float, fill: str) -> np.ndarray:
    result = np.full(grid.size, np.nan)
    if ts.size == 0:
        return result
    if ts.size == 1:
        result[ts[0]] = vs[0]
        return result
    if fill == "linear":
        result[:] = np.interp(grid, ts, vs)
    else:
        idx = np.searchsorted(ts, grid, side="right") - 1
        result[:] = vs[np.clip(idx, 0, None)]
    # Blank everything outside [first, last] reading and inside gaps longer than max_gap.
    nxt = np.searchsorted(ts, grid, side="left")  # first reading at or after each second
    prev = np.searchsorted(ts, grid, side="right") - 1  # last reading at or before each second
    inside = (prev >= 0) & (nxt < ts.size)
    on_sample = np.zeros(grid.size, dtype=bool)
    on_sample[ts] = True
    span = np.where(inside, ts[np.clip(nxt, 0, ts.size - 1)] - ts[np.clip(prev, 0, None)], np.inf)
    keep = on_sample | (inside & (span <= max_gap))
    result[~keep] = np.nan
    return result


def resample_frame(
    samples: pl.DataFrame,
    *,
    time_col: str = "ts",
    channels: list[str] | None = None,
    max_fill_gap_s: float = DEFAULT_MAX_FILL_GAP_S,
    fill: str = "linear",
) -> Stream:
    """`resample_1hz` over a polars frame: `time_col` plus the numeric `channels` (default: all others)."""
    if time_col not in samples.columns:
        raise ValueError(f"samples have no {time_col!r} column; columns: {', '.join(samples.columns)}")
    if channels is None:
        channels = [c for c in samples.columns if c != time_col and samples[c].dtype.is_numeric()]
    missing = [c for c in channels if c not in samples.columns]
    if missing:
        raise ValueError(f"samples lack channel column(s) {missing}")
    return resample_1hz(
        samples[time_col],
        {c: samples[c].cast(pl.Float64) for c in channels},
        max_fill_gap_s=max_fill_gap_s,
        fill=fill,
    )
