"""analytics.signal_quality: each detector finds a constructed fault (where and how long) and nothing on clean
series; cleaning nulls exactly the flagged samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

import analytics as a
from analytics import signal_quality as sq

N = 1800  # 30 min at 1 Hz


def _ride(seed: int = 1, n: int = N) -> dict[str, np.ndarray]:
    """A clean steady outdoor ride: HR drifting slowly with beat noise, noisy power, speed, cadence, a track."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    speed = 8 + rng.normal(0, 0.2, n)
    return {
        "ts": t.astype(float),
        "heart_rate": np.round(150 + 5 * np.sin(t / 200) + rng.normal(0, 1, n)),
        "power_w": np.round(220 + 30 * rng.normal(0, 1, n)).clip(0),
        "speed_mps": speed,
        "cadence": np.round(90 + rng.normal(0, 2, n)),
        "lat": 52.5 + np.cumsum(speed) / 111_320,
        "lon": 13.4 + rng.normal(0, 1e-6, n),
    }


def _run(seed: int = 2, n: int = N) -> dict[str, np.ndarray]:
    """A clean run: cadence 170-180 steps/min, HR around 150 (never near the cadence)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    speed = 3.5 + rng.normal(0, 0.1, n)
    return {
        "ts": t.astype(float),
        "heart_rate": np.round(148 + 4 * np.sin(t / 300) + rng.normal(0, 1, n)),
        "speed_mps": speed,
        "cadence": np.round(176 + rng.normal(0, 2, n)),
        "lat": 40.0 + np.cumsum(speed) / 111_320,
        "lon": np.full(n, -105.0),
    }


def _frame(columns: dict[str, np.ndarray]) -> pl.DataFrame:
    return pl.DataFrame(columns).with_columns(pl.col(c).fill_nan(None) for c in columns if c != "ts")


def _kinds(issues: list[a.SignalIssue]) -> list[str]:
    return [i.kind for i in issues]


@pytest.mark.parametrize("make,sport", [(_ride, "cycling"), (_run, "running")])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clean_series_raise_no_issue(make, sport, seed) -> None:
    assert a.detect_signal_issues(_frame(make(seed)), sport=sport, ftp_w=250) == []


def test_hr_spike_burst_is_found_with_its_place_and_size() -> None:
    cols = _ride()
    cols["heart_rate"][600:605] += 60  # a 5-s burst 60 bpm above the real value
    (issue,) = a.detect_signal_issues(_frame(cols), sport="cycling")
    assert (issue.kind, issue.channel) == ("hr_spike", "heart_rate")
    assert (issue.start_index, issue.end_index, issue.samples) == (600, 604, 5)
    assert issue.start_offset_s == 600.0 and issue.end_offset_s == 604.0
    assert issue.severity == "high" and issue.value > 50
    assert "bpm" in issue.explanation


def test_hr_outside_physiology_is_a_spike_even_when_steady() -> None:
    cols = _ride()
    cols["heart_rate"][100:103] = 245
    (issue,) = sq.hr_spikes(cols["ts"], cols["heart_rate"])
    assert issue.samples == 3 and issue.severity == "high"


def test_hr_dropout_while_moving_but_not_while_stopped() -> None:
    cols = _ride()
    cols["heart_rate"][300:340] = 0  # 40 s of zeros while riding
    cols["heart_rate"][900:930] = np.nan  # 30 s missing while riding
    cols["heart_rate"][1500:1560] = np.nan  # 60 s missing while stopped: not a dropout
    for c in ("speed_mps", "power_w", "cadence"):
        cols[c][1495:1565] = 0
    issues = a.detect_signal_issues(_frame(cols), sport="cycling")
    assert [(i.kind, i.start_index, i.samples) for i in issues] == [
        ("hr_dropout", 300, 40),
        ("hr_dropout", 900, 30),
    ]
    assert issues[0].value == 40.0


def test_missing_hr_at_the_ends_is_not_a_dropout() -> None:
    cols = _ride()
    cols["heart_rate"][:40] = np.nan  # the strap started late
    cols["heart_rate"][-90:] = np.nan  # and stopped early (or its clock is skewed in a merged activity)
    assert a.detect_signal_issues(_frame(cols), sport="cycling") == []


def test_a_short_gap_is_not_a_dropout() -> None:
    cols = _ride()
    cols["heart_rate"][300:304] = np.nan  # 4 s: the 1 Hz grid fills this
    assert a.detect_signal_issues(_frame(cols), sport="cycling") == []


def test_cadence_lock_stretch() -> None:
    cols = _run()
    cols["heart_rate"][700:850] = cols["cadence"][700:850] + np.random.default_rng(0).integers(-1, 2, 150)
    issues = a.detect_signal_issues(_frame(cols), sport="running")
    locks = [i for i in issues if i.kind == "cadence_lock"]
    assert len(locks) == 1
    assert locks[0].start_index == 700 and locks[0].end_index == 849 and locks[0].samples == 150
    assert locks[0].severity == "moderate"
    # the jump of HR onto the cadence is also a spike at its edges; the lock is what explains the stretch
    assert set(_kinds(issues)) <= {"cadence_lock", "hr_spike"}


def test_cadence_lock_on_stride_cadence() -> None:
    cols = _run()
    cols["cadence"] = np.round(cols["cadence"] / 2)  # a device counting strides (88/min)
    cols["heart_rate"][200:400] = 2 * cols["cadence"][200:400]
    locks = [i for i in a.detect_signal_issues(_frame(cols), sport="running") if i.kind == "cadence_lock"]
    assert [(i.start_index, i.samples) for i in locks] == [(200, 200)]


def test_short_agreement_of_hr_and_cadence_is_not_a_lock() -> None:
    cols = _run()
    cols["heart_rate"][700:740] = cols["cadence"][700:740]  # 40 s < 60 s
    assert "cadence_lock" not in _kinds(a.detect_signal_issues(_frame(cols), sport="running"))


def test_gps_jump_out_and_back() -> None:
    cols = _run()
    cols["lat"][1000:1004] += 0.01  # ~1.1 km north for 4 fixes
    (issue,) = a.detect_signal_issues(_frame(cols), sport="running")
    assert (issue.kind, issue.channel, issue.start_index, issue.samples) == ("gps_jump", "position", 1000, 4)
    assert issue.severity == "high" and issue.value == pytest.approx(1113, rel=0.02)
    assert issue.threshold == sq.MAX_SPEED_MPS["running"]


def test_gps_speed_limit_depends_on_the_sport() -> None:
    cols = _ride()
    cols["lat"][1000:1003] += 0.0006  # ~67 m off: 67 m/s is too fast for a ride, 40 m/s fallback too
    assert _kinds(a.detect_signal_issues(_frame(cols), sport="cycling")) == ["gps_jump"]
    cols = _ride()
    cols["lat"][1000:1003] += 0.0003  # ~33 m: under the 50-m noise floor
    assert a.detect_signal_issues(_frame(cols), sport="cycling") == []


def test_power_spike_isolated_and_above_the_cap() -> None:
    cols = _ride()
    cols["power_w"][400:402] = 1400  # isolated 2-s spike, under the cap
    cols["power_w"][1200] = 3000  # above 6 x FTP
    issues = a.detect_signal_issues(_frame(cols), sport="cycling", ftp_w=250)
    assert [(i.kind, i.start_index, i.samples, i.severity) for i in issues] == [
        ("power_spike", 400, 2, "moderate"),
        ("power_spike", 1200, 1, "high"),
    ]
    assert issues[1].threshold == 1500.0 and issues[1].value == 3000.0


def test_a_real_sprint_is_not_a_power_spike() -> None:
    cols = _ride()
    cols["power_w"][800:815] = np.linspace(600, 1200, 15)  # a 15-s sprint building up
    assert a.detect_signal_issues(_frame(cols), sport="cycling", ftp_w=250) == []


def test_flat_lines_need_the_minimum_duration_and_another_varying_channel() -> None:
    cols = _ride()
    cols["heart_rate"][500:700] = 151  # 200 s stuck
    cols["power_w"][1000:1050] = 230  # 50 s < 60 s: no issue
    issues = a.detect_signal_issues(_frame(cols), sport="cycling")
    flats = [i for i in issues if i.kind == "flat_line"]
    assert [(i.channel, i.start_index, i.end_index, i.samples) for i in flats] == [
        ("heart_rate", 500, 699, 200)
    ]
    assert flats[0].value == 200.0 and flats[0].threshold == 120.0
    # everything still (a paused recording): not a stuck sensor
    still = {k: np.full(300, 5.0) for k in ("heart_rate", "power_w", "speed_mps", "cadence")}
    still["ts"] = np.arange(300.0)
    assert sq.flat_lines(still["ts"], {"heart_rate": still["heart_rate"], "power": still["power_w"]}) == []


def test_zero_power_coasting_is_not_a_flat_line() -> None:
    cols = _ride()
    cols["power_w"][500:800] = 0
    assert a.detect_signal_issues(_frame(cols), sport="cycling") == []


def test_clean_samples_nulls_only_the_flagged_samples_of_their_channel() -> None:
    cols = _ride()
    cols["heart_rate"][600:605] += 60
    cols["lat"][1000:1003] += 0.01
    frame = _frame(cols)
    issues = a.detect_signal_issues(frame, sport="cycling")
    cleaned = a.clean_samples(frame, issues)
    assert cleaned["heart_rate"].null_count() == 5 and cleaned["heart_rate"][600:605].null_count() == 5
    assert cleaned["lat"].null_count() == 3 and cleaned["lon"][1000:1003].null_count() == 3
    assert cleaned["power_w"].null_count() == 0
    # what is left is the hole where the spike was (a dropout now), no spike and no jump
    assert _kinds(a.detect_signal_issues(cleaned, sport="cycling")) == ["hr_dropout"]
    assert a.clean_samples(frame, []).equals(frame)


def test_times_may_be_datetimes_and_unsorted() -> None:
    cols = _ride()
    cols["power_w"][400] = 3000
    start = datetime(2026, 5, 1, 7, tzinfo=UTC)
    frame = _frame(cols).with_columns(
        pl.Series("ts", [start + timedelta(seconds=int(s)) for s in cols["ts"]])
    )
    (issue,) = a.detect_signal_issues(frame.reverse(), sport="cycling")
    assert issue.start_offset_s == 400.0 and issue.kind == "power_spike"
    assert a.issues_frame([issue])["kind"].to_list() == ["power_spike"]


def test_missing_time_column_raises_and_empty_samples_give_nothing() -> None:
    with pytest.raises(ValueError, match="no time column"):
        a.detect_signal_issues(pl.DataFrame({"heart_rate": [1.0]}))
    assert a.detect_signal_issues(pl.DataFrame({"ts": []}, schema={"ts": pl.Float64})) == []


def test_load_stream_variants_are_declared() -> None:
    assert a.VARIANTS["load_stream"] == ("raw", "cleaned") and a.DEFAULTS["load_stream"] == "raw"


def test_load_samples_raw_is_untouched_and_cleaned_drops_the_faults() -> None:
    cols = _ride()
    cols["power_w"][1200] = 3000
    frame = _frame(cols)
    assert a.load_samples(frame, "raw") is frame
    cleaned = a.load_samples(frame, "cleaned", sport="cycling", ftp_w=250)
    assert cleaned["power_w"].null_count() == 1 and cleaned["power_w"].max() < 3000
    with pytest.raises(ValueError, match="valid: raw, cleaned"):
        a.load_samples(frame, "smoothed")
