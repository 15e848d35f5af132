"""Morton's 3-parameter critical power model (Ergonomics 1996): closed-form properties and parameter recovery."""

import numpy as np
import pytest

import analytics as a

CP, W_PRIME, PMAX = 280.0, 20000.0, 1100.0
DURATIONS = np.array([60, 90, 120, 180, 240, 300, 360, 480, 600, 720, 900, 1200], dtype=float)


def test_model_limits():
    # P(0) = Pmax; P -> CP for long t; t = W'/(P - CP) - W'/(Pmax - CP) inverts it.
    assert a.morton_3p_power([0.0], CP, W_PRIME, PMAX)[0] == pytest.approx(PMAX)
    assert a.morton_3p_power([1e9], CP, W_PRIME, PMAX)[0] == pytest.approx(CP, abs=1e-4)
    p = a.morton_3p_power([300.0], CP, W_PRIME, PMAX)[0]
    assert W_PRIME / (p - CP) - W_PRIME / (PMAX - CP) == pytest.approx(300.0)
    # Pmax -> infinity is the 2-parameter hyperbola CP + W'/t.
    assert a.morton_3p_power([300.0], CP, W_PRIME, 1e12)[0] == pytest.approx(CP + W_PRIME / 300)
    with pytest.raises(ValueError, match="must exceed"):
        a.morton_3p_power([60.0], CP, W_PRIME, CP)


def test_fit_recovers_the_parameters_of_an_exact_model_curve():
    fit = a.critical_power_3p(DURATIONS, a.morton_3p_power(DURATIONS, CP, W_PRIME, PMAX))
    assert (fit.cp_w, fit.w_prime_j, fit.pmax_w) == pytest.approx((CP, W_PRIME, PMAX), rel=1e-6)
    assert fit.rmse_w == pytest.approx(0.0, abs=1e-6) and fit.r_squared == pytest.approx(1.0)
    assert (fit.n_points, fit.min_s, fit.max_s, fit.method) == (12, 60.0, 1200.0, "morton_3p")


def test_stream_built_from_the_model_recovers_it_through_the_power_curve():
    # All-out efforts at P(d) for each duration d, 20 min at 0 W between them: the mean-max curve is P(d)
    # exactly (work t*P(t) grows with t, and no window up to 20 min spans two efforts).
    efforts = a.morton_3p_power(DURATIONS, CP, W_PRIME, PMAX)
    stream = np.concatenate(
        [np.r_[np.full(int(d), p), np.zeros(1200)] for d, p in zip(DURATIONS, efforts, strict=True)]
    )
    curve = a.mean_max(stream)
    fit = a.critical_power_3p_from_curve(curve)
    assert fit.min_s == 60 and fit.max_s == 1200
    assert (fit.cp_w, fit.w_prime_j, fit.pmax_w) == pytest.approx((CP, W_PRIME, PMAX), rel=1e-6)
    # The 2-parameter fit of the same 2-20 min points reads CP high and W' low (no curvature term).
    two = a.critical_power_from_curve(curve)
    assert two.cp_w > fit.cp_w and two.w_prime_j < fit.w_prime_j


def test_noisy_points_stay_close_and_report_fit_quality():
    rng = np.random.default_rng(7)
    noisy = a.morton_3p_power(DURATIONS, CP, W_PRIME, PMAX) + rng.normal(0, 3, DURATIONS.size)
    fit = a.critical_power_3p(DURATIONS, noisy)
    assert fit.cp_w == pytest.approx(CP, abs=5)
    assert fit.w_prime_j == pytest.approx(W_PRIME, rel=0.1)
    assert 1 < fit.rmse_w < 5 and fit.r_squared > 0.99


def test_three_points_fit_exactly_without_quality_numbers():
    t = np.array([60.0, 300.0, 1200.0])
    fit = a.critical_power_3p(t, a.morton_3p_power(t, CP, W_PRIME, PMAX))
    assert fit.cp_w == pytest.approx(CP, rel=1e-6) and fit.rmse_w is None and fit.r_squared is None


def test_undefined_fits_raise():
    with pytest.raises(ValueError, match="three different durations"):
        a.critical_power_3p([60, 60, 300], [600, 600, 350])
    with pytest.raises(ValueError, match="> 0"):
        a.critical_power_3p([0, 60, 300], [600, 500, 350])
    # A pure 2-parameter hyperbola has no finite Pmax: the fit says so instead of returning a huge number.
    with pytest.raises(ValueError, match="do not define Pmax"):
        a.critical_power_3p(DURATIONS, CP + W_PRIME / DURATIONS)
