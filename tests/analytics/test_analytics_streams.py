"""The 1 Hz resampling rule: short gaps filled, long gaps (pauses) left null, never interpolated across."""

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import analytics as a


def test_regular_1hz_passes_through_unchanged():
    t = np.arange(10.0)
    s = a.resample_1hz(t, {"power": np.arange(10.0) * 10})
    assert s.elapsed_s == 10 and s.recorded_s == 10
    np.testing.assert_array_equal(s["power"], np.arange(10.0) * 10)


def test_smart_recording_short_gap_is_interpolated_linearly():
    s = a.resample_1hz([0, 4, 5], {"hr": [100, 140, 150]}, max_fill_gap_s=5)
    np.testing.assert_allclose(s["hr"], [100, 110, 120, 130, 140, 150])
    prev = a.resample_1hz([0, 4, 5], {"hr": [100, 140, 150]}, max_fill_gap_s=5, fill="previous")
    np.testing.assert_allclose(prev["hr"], [100, 100, 100, 100, 140, 150])
    assert s.recorded_s == 6


def test_pause_longer_than_limit_is_null_not_interpolated():
    # 10 s riding, a 60-s auto-pause, 10 s riding.
    t = np.r_[np.arange(10), np.arange(70, 80)].astype(float)
    s = a.resample_1hz(t, {"power": np.r_[np.full(10, 200.0), np.full(10, 300.0)]})
    assert s.elapsed_s == 80
    assert s.recorded_s == 20
    assert np.isnan(s["power"][10:70]).all()
    assert not s.recorded[10:70].any()
    assert a.average_power(s["power"]) == pytest.approx(250.0)


def test_sensor_dropout_per_channel():
    t = np.arange(20.0)
    hr = np.full(20, 150.0)
    hr[5:8] = np.nan  # 4-s span between readings 4 and 8: filled
    hr[10:18] = np.nan  # 9-s span: left null
    s = a.resample_1hz(t, {"hr": hr, "power": np.full(20, 180.0)})
    assert not np.isnan(s["hr"][5:8]).any()
    assert np.isnan(s["hr"][10:18]).all()
    assert not np.isnan(s["power"]).any()  # other channels unaffected
    assert s.recorded_s == 20


def test_unsorted_duplicate_and_subsecond_timestamps():
    t = [2.0, 0.0, 1.0, 1.4, 3.2]
    s = a.resample_1hz(t, {"p": [30.0, 10.0, 20.0, 40.0, 50.0]})
    # 1.0 and 1.4 both snap to second 1 and are averaged; 3.2 snaps to 3.
    np.testing.assert_allclose(s["p"], [10, 30, 30, 50])


def test_datetimes_and_polars_frame():
    start = datetime(2026, 5, 1, 7, 0, tzinfo=UTC)
    frame = pl.DataFrame(
        {
            "timestamp": [start + timedelta(seconds=i) for i in (0, 1, 2, 30, 31)],
            "power_w": [100, None, 300, 400, 500],
        }
    )
    s = a.resample_frame(frame, time_col="timestamp")
    assert s.start_s == pytest.approx(start.timestamp())
    assert s.elapsed_s == 32
    np.testing.assert_allclose(s["power_w"][:3], [100, 200, 300])
    assert np.isnan(s["power_w"][3:30]).all()
    out = s.to_polars()
    assert out.columns == ["t_s", "recorded", "power_w"] and out.height == 32


@pytest.mark.parametrize(
    ("time", "channels", "message"),
    [
        ([], {}, "timestamps is empty"),
        ([0, 1], {"p": [1.0]}, "has 1 values for 2"),
        ([0, float("nan")], {"p": [1.0, 2.0]}, "NaN"),
        ([0, 30 * 86400], {"p": [1.0, 2.0]}, "device clock"),
    ],
)
def test_bad_input_raises(time, channels, message):
    with pytest.raises(ValueError, match=message):
        a.resample_1hz(time, channels)


def test_unknown_fill_and_bad_gap():
    with pytest.raises(ValueError, match="linear, previous"):
        a.resample_1hz([0, 1], {"p": [1, 2]}, fill="spline")
    with pytest.raises(ValueError, match="max_fill_gap_s"):
        a.resample_1hz([0, 1], {"p": [1, 2]}, max_fill_gap_s=0)


def test_np_and_power_curve_skip_windows_across_a_pause():
    # Two 20-s blocks at 400 W separated by a pause: no valid 30-s window exists.
    t = np.r_[np.arange(20), np.arange(100, 120)].astype(float)
    s = a.resample_1hz(t, {"power": np.full(40, 400.0)})
    assert a.normalized_power(s["power"]).value is None
    curve = a.mean_max(s["power"], [5, 20, 30])
    assert curve.at(20) == pytest.approx(400.0)
    assert curve.at(30) is None and curve.start_s[2] == -1


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.integers(1, 20), min_size=1, max_size=80),
    values=st.lists(st.floats(0, 500, allow_nan=False), min_size=81, max_size=81),
    max_gap=st.integers(1, 10),
)
def test_resample_invariants(steps, values, max_gap):
    t = np.concatenate(([0], np.cumsum(steps))).astype(float)
    v = np.array(values[: t.size])
    s = a.resample_1hz(t, {"v": v}, max_fill_gap_s=max_gap)
    assert s.elapsed_s == int(t[-1]) + 1
    np.testing.assert_allclose(s["v"][t.astype(int)], v)  # every reading kept at its second
    filled = ~np.isnan(s["v"])
    expected = t.size + sum(g - 1 for g in steps if g <= max_gap)
    assert filled.sum() == expected == s.recorded_s
    lo, hi = np.minimum(v[:-1], v[1:]), np.maximum(v[:-1], v[1:])
    for k, g in enumerate(steps):  # interpolated seconds stay between their two readings
        inside = s["v"][int(t[k]) + 1 : int(t[k + 1])]
        if g <= max_gap:
            assert ((inside >= lo[k] - 1e-9) & (inside <= hi[k] + 1e-9)).all()
        else:
            assert np.isnan(inside).all()
