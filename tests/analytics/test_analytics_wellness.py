"""Wellness baselines, anomaly flags and readiness (analytics/wellness.py): published values where the sources
give numbers, and behaviour on synthetic series (a real change is flagged, day-to-day noise is not)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

import analytics as a
from analytics import wellness as w


def days(n: int, start: date = date(2025, 1, 1)) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


def noisy_athlete(n: int = 365, seed: int = 7) -> dict[str, np.ndarray]:
    """A healthy year: RHR 52 ± 1.5 bpm, RMSSD ≈ e^(4.2 ± 0.12) ms, sleep 8 h ± 25 min, steady load."""
    rng = np.random.default_rng(seed)
    return {
        "resting_hr": np.round(52 + rng.normal(0, 1.5, n)),
        "hrv_rmssd_ms": np.exp(4.2 + rng.normal(0, 0.12, n)),
        "sleep_s": 8 * 3600 + rng.normal(0, 1500, n),
        "tsb": rng.normal(0, 5, n),
        "acwr": 1.0 + rng.normal(0, 0.08, n),
        "ramp_rate": rng.normal(0, 2, n),
        "monotony": 1.2 + rng.normal(0, 0.1, n),
    }


def frame(series: dict[str, np.ndarray], athlete: str = "ath-1") -> pl.DataFrame:
    n = len(next(iter(series.values())))
    return pl.DataFrame({"athlete_id": [athlete] * n, "date": days(n), **series})


# ------------------------------------------------------------------------------------------ published values


def test_median_mad_reproduces_leys_2013_worked_example():
    # Leys et al. 2013 (J Exp Soc Psychol 49:764), section "How to compute the MAD": median 7, MAD 5.19.
    median, mad = a.median_mad([1, 3, 3, 6, 8, 10, 10, 1000])
    assert median == 7.0
    assert mad == pytest.approx(5.19, abs=0.005)


def test_thresholds_are_the_cited_ones():
    assert w.MAD_TO_SD == 1.4826  # 1 / Φ⁻¹(3/4), Leys et al. 2013
    assert pytest.approx(0.6745, abs=1e-4) == 1 / w.MAD_TO_SD
    assert w.RHR_Z_THRESHOLD == 2.5  # Leys et al. 2013, "moderately conservative"
    assert w.ACWR_THRESHOLD == 1.5  # Gabbett 2016 danger zone
    assert w.MONOTONY_THRESHOLD == 2.0  # Foster 1998
    assert w.SLEEP_NEED_S == 7 * 3600  # Watson et al. 2015
    assert w.HRV_SWC_SD == 0.5 and w.HRV_BASELINE_DAYS == 60 and w.HRV_ROLLING_DAYS == 7  # Plews / Buchheit
    assert sum(w.READINESS_WEIGHTS.values()) == pytest.approx(1.0)


def test_hrv_swc_band_by_hand():
    # 60 baseline days alternating ln RMSSD 4.0 / 4.2 (mean 4.1, sample SD 0.1·√(60/59) = 0.100844), then 7 days at 3.9.
    ln = np.array([4.0, 4.2] * 30 + [3.9] * 7)
    out = a.hrv_swc(np.exp(ln))
    sd = np.std([4.0, 4.2] * 30, ddof=1)
    assert sd == pytest.approx(0.1 * math.sqrt(60 / 59)) == pytest.approx(0.100844, abs=1e-6)
    last = -1
    # The band of the last day uses the 60 days before it: 54 alternating days and 6 days at 3.9.
    base = ln[-61:-1]
    assert out["baseline_mean"][last] == pytest.approx(base.mean())
    assert out["baseline_sd"][last] == pytest.approx(base.std(ddof=1))
    assert out["swc_lower"][last] == pytest.approx(base.mean() - 0.5 * base.std(ddof=1))
    assert out["rolling"][last] == pytest.approx(3.9)
    # Day 60 (first 3.9): baseline = exactly the 60 alternating days.
    assert out["baseline_mean"][60] == pytest.approx(4.1)
    assert out["swc_lower"][60] == pytest.approx(4.1 - 0.5 * sd)
    assert out["swc_upper"][60] == pytest.approx(4.1 + 0.5 * sd)
    # Before 30 measured baseline days there is no band.
    assert np.isnan(out["baseline_mean"][29]) and not np.isnan(out["baseline_mean"][30])


def test_rolling_baseline_excludes_today_and_needs_enough_days():
    values = np.array([50.0] * 13 + [np.nan] * 5 + [50.0, 51.0, 90.0])
    out = a.rolling_baseline(values, window_days=28, min_days=14)
    assert np.isnan(out["median"][18])  # 13 measured days before day 18
    assert out["days"][19] == 14 and out["median"][19] == 50.0
    assert out["median"][20] == 50.0  # the 90 of day 20 is not in its own baseline
    assert out["mad"][19] == 0.0


def test_robust_z_floor_and_nulls():
    z = a.robust_z([53.0, 60.0, np.nan], [52.0, 52.0, 52.0], [0.0, 2.0, 2.0], min_mad=1.0)
    assert z[0] == 1.0 and z[1] == 4.0 and np.isnan(z[2])
    assert np.isnan(a.robust_z([1.0], [0.0], [0.0])[0])


# ----------------------------------------------------------------------------------------------- behaviour


def test_noise_alone_raises_no_illness_signal_and_few_single_flags():
    flags = a.detect_anomalies(a.wellness_baselines(frame(noisy_athlete())))
    kinds = flags["kind"].value_counts()
    counts = dict(zip(kinds["kind"], kinds["count"], strict=True))
    assert counts.get("illness_or_overreaching", 0) == 0
    assert counts.get("resting_hr_elevated", 0) <= 365 * 0.03
    assert counts.get("acwr_high", 0) == counts.get("monotony_high", 0) == counts.get("ramp_steep", 0) == 0


def test_an_illness_episode_is_flagged_with_agreeing_evidence():
    series = noisy_athlete()
    sick = slice(200, 205)  # 5 days: RHR +8 bpm, RMSSD down 40 %
    series["resting_hr"][sick] += 8
    series["hrv_rmssd_ms"][sick] *= 0.6
    flags = a.detect_anomalies(a.wellness_baselines(frame(series)))
    on = lambda kind: set(flags.filter(pl.col("kind") == kind)["date"])  # noqa: E731
    sick_days = set(days(365)[sick])
    assert sick_days <= on("resting_hr_elevated")
    assert on("hrv_below_swc") & sick_days
    illness = flags.filter(pl.col("kind") == "illness_or_overreaching")
    assert set(illness["date"]) and set(illness["date"]) <= sick_days | set(days(365)[205:212])
    # Not the first day: one day of agreeing signs is not enough.
    assert days(365)[200] not in set(illness["date"])
    first = illness.sort("date").row(0, named=True)
    assert "resting HR up" in first["evidence"] and "HRV down" in first["evidence"]
    assert "days in a row" in first["explanation"]


def test_one_bad_day_is_not_an_illness_signal():
    series = noisy_athlete()
    series["resting_hr"][200] += 10
    series["sleep_s"][200] = 5 * 3600
    flags = a.detect_anomalies(a.wellness_baselines(frame(series)))
    assert flags.filter(pl.col("kind") == "illness_or_overreaching").height == 0
    day = flags.filter(pl.col("date") == days(365)[200])
    assert set(day["kind"]) == {"resting_hr_elevated"}  # one short night alone is no sleep_short either


def test_sleep_short_needs_two_nights_an_hour_below_need():
    """A sleep debt building, not ordinary variation: minutes under need, or one short night alone, are no flag;
    two nights in a row an hour or more below need are (Van Dongen et al. 2003), high from two hours below."""
    series = noisy_athlete()
    series["sleep_s"][200] = 7 * 3600 - 30 * 60  # half an hour short, the night after
    series["sleep_s"][201] = 7 * 3600 - 40 * 60
    series["sleep_s"][210] = 5 * 3600  # one very short night alone
    series["sleep_s"][220] = 6 * 3600  # an hour short, then two hours and a minute short
    series["sleep_s"][221] = 5 * 3600 - 60
    flags = a.detect_anomalies(a.wellness_baselines(frame(series)))
    short = {row["date"]: row for row in flags.filter(pl.col("kind") == "sleep_short").iter_rows(named=True)}
    assert set(short) == {days(365)[221]}
    assert short[days(365)[221]]["severity"] == "high" and short[days(365)[221]]["threshold"] == 6 * 3600
    assert "6.0 h the night before" in short[days(365)[221]]["explanation"]


def test_load_flags_follow_their_thresholds():
    series = noisy_athlete(n=40)
    series["acwr"][30], series["acwr"][31] = 1.6, 2.2
    series["monotony"][32] = 2.6
    series["ramp_rate"][33] = 9.0
    flags = a.detect_anomalies(a.wellness_baselines(frame(series)))
    got = {(r["kind"], r["severity"]) for r in flags.iter_rows(named=True) if r["kind"] in
           ("acwr_high", "monotony_high", "ramp_steep")}  # fmt: skip
    assert got == {("acwr_high", "moderate"), ("acwr_high", "high"), ("monotony_high", "high"),
                   ("ramp_steep", "moderate")}  # fmt: skip


def test_baselines_fill_every_calendar_day_and_keep_athletes_apart():
    one = frame({"resting_hr": np.array([50.0, 51.0, 52.0])}, "a").filter(pl.col("resting_hr") != 51.0)
    two = frame({"resting_hr": np.array([70.0, 71.0])}, "b")
    out = a.wellness_baselines(pl.concat([one, two]))
    assert out.filter(pl.col("athlete_id") == "a")["date"].to_list() == days(3)
    assert out.filter(pl.col("athlete_id") == "a")["resting_hr"].to_list() == [50.0, None, 52.0]
    assert out.filter(pl.col("athlete_id") == "b").height == 2
    assert out["sleep_need_s"].unique().to_list() == [7 * 3600.0]


# ----------------------------------------------------------------------------------------------- readiness


def test_readiness_components_by_hand():
    c = a.readiness_components(hrv_z=-1.0, rhr_z=2.0, sleep_s=5.5 * 3600, tsb=-10.0, acwr=1.65)
    assert c == {"hrv": 50.0, "resting_hr": 25.0, "sleep": 50.0, "tsb": 50.0, "acwr": pytest.approx(50.0)}
    score, coverage = a.readiness_score(c)
    assert coverage == 1.0
    assert score == pytest.approx(0.3 * 50 + 0.2 * 25 + 0.2 * 50 + 0.15 * 50 + 0.15 * 50)
    usual = a.readiness_components(hrv_z=0.0, rhr_z=0.0, sleep_s=8 * 3600, tsb=0.0, acwr=1.0)
    assert usual == {"hrv": 75.0, "resting_hr": 75.0, "sleep": 100.0, "tsb": 75.0, "acwr": 100.0}


def test_readiness_renormalises_missing_components_and_refuses_thin_evidence():
    only_sleep_and_load = {"hrv": None, "resting_hr": None, "sleep": 100.0, "tsb": 50.0, "acwr": 100.0}
    score, coverage = a.readiness_score(only_sleep_and_load)
    assert coverage == pytest.approx(0.5)
    assert score == pytest.approx((0.2 * 100 + 0.15 * 50 + 0.15 * 100) / 0.5)
    assert a.readiness_score({"hrv": None, "resting_hr": None, "sleep": 80.0, "tsb": None, "acwr": None}) == (
        None,
        pytest.approx(0.2),
    )


def test_readiness_drops_during_illness_and_exposes_weights():
    series = noisy_athlete()
    series["resting_hr"][200:205] += 8
    series["hrv_rmssd_ms"][200:205] *= 0.6
    out = a.readiness(a.wellness_baselines(frame(series)))
    assert out.height == 365
    assert {f"{k}_weight" for k in w.READINESS_WEIGHTS} <= set(out.columns)
    assert out["hrv_weight"].unique().to_list() == [0.3]
    usual = out[100:200]["score"].median()
    sick = out[202:205]["score"].max()
    assert sick < usual - 20
    # The score is the weighted mean of the components shown next to it.
    row = out.row(250, named=True)
    recomputed = sum(row[f"{k}_component"] * row[f"{k}_weight"] for k in w.READINESS_WEIGHTS)
    assert row["score"] == pytest.approx(recomputed / sum(w.READINESS_WEIGHTS.values()))
    assert math.isclose(row["coverage"], 1.0)


def test_empty_input_gives_typed_empty_frames():
    empty = pl.DataFrame(schema={"athlete_id": pl.String, "date": pl.Date, "resting_hr": pl.Float64})
    baselines = a.wellness_baselines(empty)
    assert baselines.height == 0 and baselines.schema["rhr_z"] == pl.Float64
    assert a.detect_anomalies(baselines).columns[:3] == ["athlete_id", "date", "kind"]
    assert a.readiness(baselines).schema["score"] == pl.Float64


def test_markers_that_do_not_agree_on_the_same_two_days_raise_no_illness_signal():
    series = noisy_athlete()
    # RHR up on days 200-201 and HRV down on days 202-203: each marker persists, but never together.
    series["resting_hr"][200:202] += 8
    series["hrv_rmssd_ms"][202:204] *= 0.55
    flags = a.detect_anomalies(a.wellness_baselines(frame(series)))
    assert flags.filter(pl.col("kind") == "illness_or_overreaching").height == 0
    assert {"resting_hr_elevated"} <= set(flags.filter(pl.col("date") == days(365)[200])["kind"])


def test_illness_signs_need_both_days():
    base = {
        "rhr_z": 3.0,
        "hrv_day_z": -2.0,
        "sleep_z": 0.0,
        "sleep_s": 8 * 3600.0,
        "sleep_need_s": 7 * 3600.0,
    }
    calm = {**base, "rhr_z": 0.0, "hrv_day_z": 0.0}
    assert w.illness_signs(base, base) == {"resting_hr_up", "hrv_down"}
    assert w.illness_signs(base, calm) == set()
    assert w.illness_signs(base, None) == set()
    short = {**base, "sleep_s": 5 * 3600.0, "sleep_z": -2.5}
    assert w.illness_signs(short, short) == {"resting_hr_up", "hrv_down", "sleep_short"}
    # Short for the athlete but not below need is not a sign (nor the reverse).
    long_sleeper = {**short, "sleep_s": 7.5 * 3600.0}
    assert "sleep_short" not in w.illness_signs(long_sleeper, long_sleeper)
