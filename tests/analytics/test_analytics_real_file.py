"""The 1 Hz rule on a real smart-recording file (stravalib's sample.tcx: irregular 1-10 s samples, HR,
distance, altitude), checked against a plain per-second re-implementation of the documented rule."""

import math
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import analytics as a

TCX = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "tcx" / "stravalib" / "sample.tcx"
NS = {"t": "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"}

pytestmark = pytest.mark.skipif(not TCX.exists(), reason="shared fixtures not available")


def read_tcx() -> pl.DataFrame:
    def num(tp: ET.Element, path: str) -> float | None:
        node = tp.find(path, NS)
        return float(node.text) if node is not None else None

    rows = [
        {
            "ts": datetime.fromisoformat(tp.find("t:Time", NS).text.replace("Z", "+00:00")),
            "heart_rate": num(tp, "t:HeartRateBpm/t:Value"),
            "distance_m": num(tp, "t:DistanceMeters"),
            "altitude_m": num(tp, "t:AltitudeMeters"),
        }
        for tp in ET.parse(TCX).getroot().iterfind(".//t:Trackpoint", NS)
    ]
    return pl.DataFrame(rows).sort("ts")


def reference_hr_grid(times: list[float], hr: list[float | None], max_gap: float) -> list[float]:
    """The documented rule, one second at a time, with no numpy."""
    t0 = math.floor(times[0])
    by_second: dict[int, list[float]] = {}
    for t, h in zip(times, hr, strict=True):
        if h is not None:
            by_second.setdefault(round(t - t0), []).append(h)
    secs = sorted(by_second)
    vals = {s: sum(v) / len(v) for s, v in by_second.items()}
    n = round(times[-1] - t0) + 1
    out = [math.nan] * n
    for s in secs:
        out[s] = vals[s]
    for left, right in zip(secs, secs[1:], strict=False):
        if right - left <= max_gap:
            for s in range(left + 1, right):
                out[s] = vals[left] + (vals[right] - vals[left]) * (s - left) / (right - left)
    return out


def test_real_tcx_resampling_matches_reference_rule():
    df = read_tcx()
    assert df.height > 800
    stream = a.to_stream(df)
    times = [ts.timestamp() for ts in df["ts"]]
    expected = np.array(reference_hr_grid(times, df["heart_rate"].to_list(), a.DEFAULT_MAX_FILL_GAP_S))
    got = stream["heart_rate"]
    assert got.size == expected.size
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got[~np.isnan(got)], expected[~np.isnan(expected)])
    # The file has gaps longer than 5 s: they are null, not interpolated.
    gaps = np.diff(np.array(times))
    assert (gaps > 5).any() and np.isnan(got).any()
    # Recorded time equals the per-sample sum of covered seconds.
    covered = 1 + sum(g if g <= 5 else 1 for g in np.rint(gaps).astype(int) if g > 0)
    assert stream.recorded_s == covered


def test_real_tcx_scores_with_hr_only():
    df = read_tcx()
    th = a.Thresholds(lthr_bpm=160, hr_max_bpm=185, hr_rest_bpm=50)
    row = a.score_activity(df, th, sport="Biking")
    hr = a.to_stream(df)["heart_rate"]
    valid = hr[~np.isnan(hr)]
    x = np.maximum((valid - 50) / 135, 0)
    assert row["trimp"] == pytest.approx(float(np.sum(x * 0.64 * np.exp(1.92 * x)) / 60))
    assert row["tss"] is None and row["load_source"] == "hrss" and row["load"] > 0
    curve = a.best_efforts(a.to_stream(df)["distance"], [100.0, 1000.0])
    assert curve.as_dict()[100.0] is not None
