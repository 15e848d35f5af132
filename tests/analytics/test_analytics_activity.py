"""score_activity end to end on polars frames, and the load priority chain."""

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

import analytics as a

TH = a.Thresholds(ftp_w=250, lthr_bpm=168, hr_max_bpm=190, hr_rest_bpm=50, threshold_pace_s_per_km=270)


def frame(n: int, **channels) -> pl.DataFrame:
    start = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)
    return pl.DataFrame({"ts": [start + timedelta(seconds=i) for i in range(n)], **channels})


def test_ride_with_power_and_hr():
    row = a.score_activity(frame(3600, power_w=[250.0] * 3600, heart_rate=[168.0] * 3600), TH, sport="ride")
    assert row["tss"] == pytest.approx(100.0)
    assert (
        row["np_w"] == pytest.approx(250.0)
        and row["if"] == pytest.approx(1.0)
        and row["vi"] == pytest.approx(1.0)
    )
    assert row["hrss"] == pytest.approx(100.0)
    assert row["load"] == pytest.approx(100.0) and row["load_source"] == "power_tss"
    assert row["rtss"] is None  # not a run
    assert row["moving_s"] == 3600 and row["work_kj"] == pytest.approx(900.0)
    assert row["np_method"] == "valid_windows" and row["threshold_ftp_w"] == 250


def test_priority_chain_falls_back_and_is_configurable():
    hr_only = a.score_activity(frame(3600, heart_rate=[168.0] * 3600), TH, sport="ride", session_rpe=5)
    assert (
        hr_only["tss"] is None
        and hr_only["load_source"] == "hrss"
        and hr_only["load"] == pytest.approx(100.0)
    )
    rpe_first = a.score_activity(
        frame(3600, heart_rate=[168.0] * 3600),
        TH,
        sport="ride",
        session_rpe=5,
        load_priority="session_rpe,hrss",
    )
    assert rpe_first["load_source"] == "session_rpe" and rpe_first["load"] == pytest.approx(300.0)
    manual = a.score_activity(None, TH, session_rpe=6, duration_s=1800)
    assert manual["load"] == pytest.approx(180.0) and manual["load_source"] == "session_rpe"
    nothing = a.score_activity(None, a.Thresholds())
    assert nothing["load"] is None and nothing["load_source"] is None


def test_activity_load_function():
    assert a.activity_load({"power_tss": None, "rtss": float("nan"), "hrss": 55.0}) == (55.0, "hrss")
    assert a.activity_load({"hrss": 55.0, "rtss": 60.0}, ["rtss", "hrss"]) == (60.0, "rtss")
    with pytest.raises(ValueError, match="valid: power_tss, rtss, hrss, session_rpe"):
        a.activity_load({"hrss": 1.0}, "hrss,watts")
    with pytest.raises(ValueError, match="twice"):
        a.parse_priority("hrss,hrss")


def test_run_rtss_flat_and_uphill():
    n = 1800
    speed = [1000 / 300] * n  # 5:00/km
    flat = a.score_activity(frame(n, speed_mps=speed), TH, sport="running")
    assert flat["rtss"] == pytest.approx(40.5) and flat["load_source"] == "rtss"
    dist = np.cumsum(speed)
    climb = a.score_activity(
        frame(n, speed_mps=speed, distance_m=dist, altitude_m=0.05 * dist), TH, sport="trail_running"
    )
    assert climb["rtss"] > flat["rtss"]  # 5 % grade costs more than flat (Minetti)
    no_gap = a.score_activity(
        frame(n, speed_mps=speed, distance_m=dist, altitude_m=0.05 * dist), TH, sport="run", gap_model="none"
    )
    assert no_gap["rtss"] == pytest.approx(40.5)


def test_pause_is_excluded_from_duration():
    t0 = datetime(2026, 6, 1, tzinfo=UTC)
    times = [t0 + timedelta(seconds=i) for i in range(1800)] + [
        t0 + timedelta(seconds=3600 + i) for i in range(1800)
    ]
    samples = pl.DataFrame({"ts": times, "power_w": [250.0] * 3600})
    row = a.score_activity(samples, TH)
    assert row["elapsed_s"] == 5400 and row["moving_s"] == 3600
    assert row["tss"] == pytest.approx(100.0)  # the 30-min pause adds no time


def test_custom_columns_and_variants():
    samples = pl.DataFrame({"ts": np.arange(600.0), "watts": np.full(600, 200.0), "bpm": np.full(600, 150.0)})
    row = a.score_activity(
        samples, TH, columns={"time": "ts", "power": "watts", "heart_rate": "bpm"},
        np_method="zero_padded", trimp_method="edwards",
    )  # fmt: skip
    assert row["np_w"] < 200.0 and row["np_method"] == "zero_padded"
    assert row["trimp"] == pytest.approx(10 * 3) and row["trimp_method"] == "edwards"


def test_thresholds_validation():
    with pytest.raises(ValueError, match="greater than hr_rest"):
        a.Thresholds(hr_max_bpm=150, hr_rest_bpm=160)
    with pytest.raises(ValueError, match="lthr_bpm"):
        a.Thresholds(hr_max_bpm=190, hr_rest_bpm=50, lthr_bpm=195)
    with pytest.raises(ValueError, match="ftp_w must be > 0"):
        a.Thresholds(ftp_w=-5)
    with pytest.raises(ValueError, match="sex"):
        a.Thresholds(sex="x")


def test_warehouse_row_and_sensor_dropouts():
    th = a.Thresholds.from_row(
        {"hr_max": 190, "hr_rest": 50, "lthr": 168, "ftp_w": None, "threshold_pace_s_per_km": float("nan")}
    )
    assert th.ftp_w is None and th.threshold_pace_s_per_km is None and th.lthr_bpm == 168
    hr = [168.0] * 3600
    hr[100:103] = [0.0, 0.0, 0.0]  # a strap drop-out reported as 0 bpm: null, then filled (3 s gap)
    row = a.score_activity(frame(3600, heart_rate=hr, power_w=[-1.0] + [200.0] * 3599), th)
    assert row["hrss"] == pytest.approx(100.0)
    assert row["avg_power_w"] == pytest.approx(200.0)


def test_run_with_power_never_uses_cycling_ftp():
    n = 1800
    samples = frame(n, speed_mps=[1000 / 300] * n, power_w=[250.0] * n)
    row = a.score_activity(samples, TH, sport="running")
    assert row["tss"] is None and row["np_w"] == pytest.approx(250.0)
    assert row["load_source"] == "rtss"
    th_run = a.Thresholds(ftp_w=250, run_ftp_w=300, threshold_pace_s_per_km=270)
    row = a.score_activity(samples, th_run, sport="running")
    assert row["ftp_used_w"] == 300 and row["tss"] == pytest.approx(0.5 * (250 / 300) ** 2 * 100)
    assert row["load_source"] == "power_tss"


def test_row_keys_are_the_mart_contract():
    row = a.score_activity(None, TH)
    assert list(row) == [
        "elapsed_s", "moving_s", "avg_power_w", "np_w", "ftp_used_w", "if", "tss", "vi", "work_kj",
        "avg_hr_bpm", "max_hr_bpm", "trimp", "hrss", "rtss", "session_rpe_load", "efficiency_factor",
        "decoupling_pct", "efficiency_basis", "duration_s", "load",
        "load_source", "np_method", "trimp_method", "hrss_method", "rtss_method", "gap_model", "load_priority",
        "threshold_ftp_w", "threshold_lthr_bpm", "threshold_hr_max_bpm", "threshold_hr_rest_bpm",
        "threshold_pace_s_per_km", "sex", "threshold_vt1_bpm", "threshold_vt2_bpm",
        "threshold_run_ftp_w",
    ]  # fmt: skip


def test_efficiency_and_decoupling_per_activity():
    # A 2-h ride at 200 W whose HR steps 130 -> 140 bpm at the hour: EF = NP / avg HR, Pw:HR 1 - 130/140.
    hr = [130.0] * 3600 + [140.0] * 3600
    ride = a.score_activity(frame(7200, power_w=[200.0] * 7200, heart_rate=hr), TH, sport="cycling")
    assert ride["efficiency_basis"] == "power"
    assert ride["efficiency_factor"] == pytest.approx(200 / 135)
    assert ride["decoupling_pct"] == pytest.approx(100 * (1 - 130 / 140))
    # Runs use grade-adjusted speed even with a power pod; under an hour decoupling is null (validity range).
    run = a.score_activity(
        frame(1800, speed_mps=[3.5] * 1800, power_w=[250.0] * 1800, heart_rate=[150.0] * 1800),
        TH,
        sport="running",
    )
    assert run["efficiency_basis"] == "grade_adjusted_speed"
    assert run["efficiency_factor"] == pytest.approx(3.5 * 60 / 150) and run["decoupling_pct"] is None
    no_hr = a.score_activity(frame(3600, power_w=[200.0] * 3600), TH, sport="cycling")
    assert no_hr["efficiency_factor"] is None and no_hr["efficiency_basis"] is None
