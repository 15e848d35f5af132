"""Variants by name: every documented name works, unknown names fail with the list of valid ones."""

import numpy as np
import polars as pl
import pytest

import analytics as a

CALLS = {
    "max_hr": lambda name: a.max_hr(40, name),
    "hr_zones": lambda name: a.hr_zones(name, hr_max=190, hr_rest=50, lthr=165),
    "trimp": lambda name: a.trimp(
        np.full(60, 150.0), name, hr_rest=50, hr_max=190, vt1_bpm=140, vt2_bpm=170, lthr=165
    ),
    "hrss": lambda name: a.hrss(np.full(60, 150.0), 165, 50, 190, method=name),
    "np": lambda name: a.normalized_power(np.full(60, 200.0), name),
    "ftp_test": lambda name: a.ftp_from_test(300, name),
    "cp_fit": lambda name: a.critical_power([180, 720], [400, 300], name),
    "wbal": lambda name: a.w_prime_balance(np.arange(100.0), 25, 2000, name),
    "rtss_pace": lambda name: a.rtss(np.full(60, 3.0), 270, method=name),
    "gap": lambda name: a.grade_adjusted_speed(np.full(5, 3.0), np.zeros(5), name),
    "pmc": lambda name: a.pmc([100.0] * 5, name),
    "tsb": lambda name: a.pmc([100.0] * 5, tsb=name),
    "acwr": lambda name: a.acwr([100.0] * 30, name),
    "ewma_seed": lambda name: a.acwr([100.0] * 30, ewma_seed=name),
    "sd": lambda name: a.monotony_strain([1.0, 2, 3, 4, 5, 6, 7], sd=name),
    "load_source": lambda name: a.parse_priority(name),
    "ef_output": lambda name: a.efficiency_factor(np.full(60, 200.0), np.full(60, 140.0), name),
    "load_stream": lambda name: a.load_samples(
        pl.DataFrame({"ts": np.arange(60.0), "heart_rate": np.full(60, 150.0)}), name
    ),
}


def test_every_family_is_exercised():
    assert set(CALLS) == set(a.VARIANTS)
    assert all(a.DEFAULTS[f] == names[0] for f, names in a.VARIANTS.items())


@pytest.mark.parametrize("family", sorted(CALLS))
def test_valid_names_work_and_unknown_name_lists_them(family):
    for name in a.VARIANTS[family]:
        CALLS[family](name)
        CALLS[family](name.upper())  # settings may arrive upper-cased
    with pytest.raises(ValueError) as err:
        CALLS[family]("no-such-variant")
    message = str(err.value)
    assert "no-such-variant" in message
    for name in a.VARIANTS[family]:
        assert name in message


def test_metric_reports_method():
    m = a.normalized_power(np.full(60, 200.0), "expanding")
    assert m.method == "expanding" and m.unit == "W" and float(m) == pytest.approx(200.0)
    assert m.as_dict()["window_s"] == 30
    assert np.isnan(float(a.normalized_power(np.full(10, 200.0))))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: a.trimp_banister([150.0], 190, 60), "greater than hr_rest"),
        (lambda: a.tss(-1, 200, 250), "duration_s must be >= 0"),
        (lambda: a.normalized_power([]), "empty"),
        (lambda: a.normalized_power([100.0, -5.0]), "negative"),
        (lambda: a.trimp_banister([0.0, 120.0], 50, 190), "<= 0 bpm"),
        (lambda: a.vdot(5000, 0), "time_s must be > 0"),
        (lambda: a.vo2max_cooper(400), "outside the Cooper"),
        (lambda: a.critical_power([300, 300], [300, 310]), "two different durations"),
        (lambda: a.critical_power_two_efforts(300, 180, 400, 720), "non-physiological"),
        (lambda: a.skiba_tau(np.full(10, 400.0), 250), "pass tau_s"),
        (lambda: a.max_hr(200), "5..110"),
        (lambda: a.hr_zones("karvonen", hr_max=190), "hr_rest"),
    ],
)
def test_invalid_input_raises_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_null_rules():
    gaps = np.full(100, np.nan)
    assert a.trimp_banister(gaps, 50, 190).value is None
    assert a.hrss(gaps, 165, 50, 190).value is None
    assert a.rtss(gaps, 270).value is None
    assert a.average_power(gaps) is None
    assert a.mean_max(np.full(10, 100.0), [5, 20]).as_dict() == {5: 100.0, 20: None}
