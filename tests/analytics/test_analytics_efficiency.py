"""Efficiency Factor and aerobic decoupling against Friel's worked example and analytic series."""

import numpy as np
import pytest

import analytics as a

MILE_M = 1609.344


def test_running_ef_friel_worked_example():
    # Friel, "The efficiency factor in running": NGP 7:30/mile = 8 mph = 234.7 yd/min at 150 bpm -> EF 1.56.
    speed = np.full(3600, 8 * MILE_M / 3600)
    hr = np.full(3600, 150.0)
    ef = a.running_efficiency_factor(speed, hr, speed_unit="yd_per_min")
    assert ef.value == pytest.approx(234.7 / 150, abs=1e-3)
    assert round(ef.value, 2) == 1.56 and ef.unit == "(yd/min)/bpm"
    metric = a.running_efficiency_factor(speed, hr)
    assert metric.value == pytest.approx(8 * MILE_M / 60 / 150) and metric.unit == "(m/min)/bpm"
    with pytest.raises(ValueError, match="speed_unit"):
        a.running_efficiency_factor(speed, hr, speed_unit="furlongs")


def test_cycling_ef_is_np_over_average_hr():
    power = np.tile(np.r_[np.full(30, 100.0), np.full(30, 300.0)], 60)  # NP 223.07 W, average 200 W
    hr = np.full(power.size, 140.0)
    ef = a.efficiency_factor(power, hr)
    assert ef.method == "normalized" and ef.unit == "W/bpm"
    assert ef.value == pytest.approx(a.normalized_power(power).value / 140)
    assert a.efficiency_factor(power, hr, "average").value == pytest.approx(200 / 140)
    assert a.efficiency_factor(np.full(3600, 200.0), np.full(3600, 140.0)).value == pytest.approx(
        1.4286, abs=1e-4
    )


def test_ef_counts_only_paired_seconds():
    # 600 s at 200 W / 140 bpm, then 600 s at 400 W with the strap off: the unpaired power is not counted.
    power = np.r_[np.full(600, 200.0), np.full(600, 400.0)]
    hr = np.r_[np.full(600, 140.0), np.full(600, np.nan)]
    assert a.efficiency_factor(power, hr, "average").value == pytest.approx(200 / 140)
    assert a.efficiency_factor(power, hr).value == pytest.approx(200 / 140)
    assert a.efficiency_factor(np.full(20, 200.0), np.full(20, 140.0)).value is None  # NP needs 30 s
    assert a.efficiency_factor(power, np.zeros(1200)).value is None  # HR 0 is no reading


@pytest.mark.parametrize("method", ["normalized", "average"])
def test_constant_ride_has_zero_decoupling(method):
    result = a.aerobic_decoupling(np.full(7200, 200.0), np.full(7200, 140.0), method)
    assert result.value == pytest.approx(0.0, abs=1e-12) and result.unit == "%"
    assert result.params["split_s"] == 3600


@pytest.mark.parametrize("method", ["normalized", "average"])
def test_hr_step_gives_the_analytic_decoupling(method):
    # Constant 200 W, HR 130 in the first hour and 140 in the second: (EF1 - EF2)/EF1 = 1 - 130/140 = 7.1429 %.
    hr = np.r_[np.full(3600, 130.0), np.full(3600, 140.0)]
    result = a.aerobic_decoupling(np.full(7200, 200.0), hr, method)
    assert result.value == pytest.approx(100 * (1 - 130 / 140))
    assert result.params["ef_first"] == pytest.approx(200 / 130)
    # GoldenCheetah's ratio form (r2 - r1)/r1 = EF1/EF2 - 1 would report 7.69 %: a different number, same data.
    gc = result.params["ef_first"] / result.params["ef_second"] - 1
    assert gc * 100 == pytest.approx(7.6923, abs=1e-4)


def test_power_fade_at_constant_hr_is_positive_decoupling():
    power = np.r_[np.full(3600, 220.0), np.full(3600, 209.0)]
    result = a.aerobic_decoupling(power, np.full(7200, 140.0), "average")
    assert result.value == pytest.approx(5.0)


def test_warmup_is_excluded_and_halves_split_paired_time():
    # 15 min warm-up at 120 W/150 bpm (would otherwise count), then a steady hour; a 10 min pause in the
    # first half does not shift the cut: each half holds 30 min of paired data.
    warm = np.full(900, 120.0)
    steady = np.full(3600, 200.0)
    power = np.r_[warm, steady[:600], np.full(600, np.nan), steady[600:]]
    hr = np.r_[np.full(900, 150.0), np.full(600, 140.0), np.full(600, np.nan), np.full(3000, 140.0)]
    # Kept in, the easy warm-up's low EF lands in the first half: EF1 = (900*120 + 1350*200)/2250 W at 146 bpm.
    with_warmup = a.aerobic_decoupling(power, hr, "average", min_duration_s=0)
    assert with_warmup.value == pytest.approx(100 * (1 - (200 / 140) / (168 / 144)))
    result = a.aerobic_decoupling(power, hr, warmup_s=900)
    assert result.value == pytest.approx(0.0, abs=1e-12)
    assert result.params["split_s"] == 900 + 600 + 600 + 1200
    assert result.params["paired_s"] == 3600


def test_decoupling_validity_range():
    short = a.aerobic_decoupling(np.full(1800, 200.0), np.full(1800, 140.0))
    assert short.value is None and short.params["min_duration_s"] == 3600
    assert a.aerobic_decoupling(np.full(1800, 200.0), np.full(1800, 140.0), min_duration_s=0).value == 0
    assert a.aerobic_decoupling(np.full(7200, 200.0), np.full(7200, np.nan)).value is None
    with pytest.raises(ValueError, match="differ in length"):
        a.aerobic_decoupling(np.ones(10), np.ones(11))
    with pytest.raises(ValueError, match="ef_output"):
        a.aerobic_decoupling(np.ones(10), np.ones(10), "median")


def test_running_decoupling_adjusts_for_grade():
    # Same effort both halves: flat at 3.5 m/s, then uphill 5 % at the flat-equivalent speed / C(0.05)/C(0).
    grade = np.r_[np.zeros(3600), np.full(3600, 0.05)]
    uphill = 3.5 * a.minetti_cost(0.0) / a.minetti_cost(0.05)
    speed = np.r_[np.full(3600, 3.5), np.full(3600, float(uphill))]
    hr = np.full(7200, 150.0)
    assert a.running_decoupling(speed, hr, grade).value == pytest.approx(0.0, abs=1e-9)
    assert a.running_decoupling(speed, hr).value == pytest.approx(100 * (1 - uphill / 3.5))


def test_zone_percentages_of_hr_and_power_zones():
    zones = a.hr_zones("percent_hrmax", hr_max=200)  # Z1 100-120, Z2 120-140, ... Z5 >= 180 bpm
    hr = np.r_[np.full(30, 90.0), np.full(60, 110.0), np.full(30, 150.0), np.full(10, np.nan)]
    seconds = a.time_in_zones(hr, zones)
    shares = a.zone_percentages(seconds)
    assert shares == {
        "Z1": pytest.approx(200 / 3),
        "Z2": 0.0,
        "Z3": pytest.approx(100 / 3),
        "Z4": 0.0,
        "Z5": 0.0,
    }
    # Over every recorded second (120), the 30 s below Z1 are the missing quarter.
    over_recorded = a.zone_percentages(seconds, total_s=120)
    assert over_recorded["Z1"] == pytest.approx(50.0) and sum(over_recorded.values()) == pytest.approx(75.0)
    power = a.zone_percentages(a.time_in_power_zones(np.r_[np.full(3, 100.0), 400.0], a.power_zones(250)))
    assert power["L1 Active recovery"] == 75.0 and power["L7 Neuromuscular"] == 25.0
    assert a.zone_percentages(a.time_in_zones(np.full(5, np.nan), zones)) == dict.fromkeys(seconds)
    with pytest.raises(ValueError, match="smaller than"):
        a.zone_percentages(seconds, total_s=10)
