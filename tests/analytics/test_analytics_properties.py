"""Property tests (hypothesis): invariants that must hold for any input, not just the examples."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import analytics as a

loads = arrays(np.float64, st.integers(1, 120), elements=st.floats(0, 400, allow_nan=False))
powers = arrays(np.float64, st.integers(30, 400), elements=st.floats(0, 1500, allow_nan=False))
hrs = arrays(
    np.float64, st.integers(1, 300), elements=st.floats(50.5, 200, allow_nan=False)
)  # above rest (50)


@settings(max_examples=60, deadline=None)
@given(x=loads, alpha=st.floats(0, 5), beta=st.floats(0, 5), convention=st.sampled_from(a.VARIANTS["pmc"]))
def test_pmc_is_linear_in_load(x, alpha, beta, convention):
    y = np.roll(x, 3)[::-1].copy()
    combined = a.pmc(alpha * x + beta * y, convention)
    px, py = a.pmc(x, convention), a.pmc(y, convention)
    for key in ("ctl", "atl", "tsb", "ramp_rate"):
        np.testing.assert_allclose(combined[key], alpha * px[key] + beta * py[key], rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    x=arrays(np.float64, st.integers(7, 60), elements=st.floats(0, 1000, allow_nan=False)),
    scale=st.floats(0.01, 100),
)
def test_monotony_is_scale_free(x, scale):
    base = a.monotony_strain(x)["monotony"]
    scaled = a.monotony_strain(x * scale)
    np.testing.assert_allclose(scaled["monotony"], base, rtol=1e-6)
    np.testing.assert_allclose(scaled["strain"], a.monotony_strain(x)["strain"] * scale, rtol=1e-6)


@settings(max_examples=80, deadline=None)
@given(p=powers)
def test_np_at_least_mean_of_30s_rolling_power(p):
    # Power-mean inequality: NP (4th-power mean of the 30-s rolling means) >= their arithmetic mean.
    rolling = np.convolve(p, np.ones(30) / 30, mode="valid")
    assert a.normalized_power(p).value >= rolling.mean() * (1 - 1e-9) - 1e-9


@settings(max_examples=80, deadline=None)
@given(p=powers, method=st.sampled_from(["valid_windows", "expanding", "zero_padded"]))
def test_np_at_least_average_power_with_easy_start_and_end(p, method):
    # With 29 s of coasting before and after the effort every sample sits in the same number of 30-s
    # windows, so NP >= average power. Without them a spike in the first seconds can make NP < average
    # for the valid-windows rule (see test_np_can_be_below_average_after_an_initial_spike).
    padded = np.r_[np.zeros(29), p, np.zeros(29)] if method == "valid_windows" else np.r_[p, np.zeros(29)]
    assert a.normalized_power(padded, method).value >= a.average_power(padded) * (1 - 1e-9) - 1e-9


def test_np_can_be_below_average_after_an_initial_spike():
    spike = np.r_[10000.0, np.zeros(59)]
    assert a.normalized_power(spike).value < a.average_power(spike)


@settings(max_examples=60, deadline=None)
@given(hr=hrs, delta=st.floats(0.5, 30), sex=st.sampled_from(["male", "female"]))
def test_trimp_grows_with_hr(hr, delta, sex):
    for method in ("banister", "banister_session_avg", "goldencheetah"):
        low = a.trimp_banister(hr, 50, 200, sex, method).value
        high = a.trimp_banister(hr + delta, 50, 200, sex, method).value
        assert high > low
    assert a.trimp_edwards(hr + delta, 200).value >= a.trimp_edwards(hr, 200).value


@settings(max_examples=60, deadline=None)
@given(p=powers)
def test_power_curve_multiples_non_increasing(p):
    durations = [1, 2, 4, 5, 10, 20, 30, 60, 120, 240]
    curve = a.mean_max(p, durations).as_dict()
    for d1 in durations:
        for d2 in durations:
            if d2 > d1 and d2 % d1 == 0 and curve[d2] is not None:
                assert curve[d2] <= curve[d1] * (1 + 1e-12) + 1e-9
    assert abs(curve[1] - p.max()) <= 1e-9 * max(1.0, p.sum())  # cumulative-sum rounding


@settings(max_examples=40, deadline=None)
@given(p=powers, d=st.integers(1, 60))
def test_power_curve_matches_brute_force(p, d):
    if d > p.size:
        return
    brute = max(p[i : i + d].mean() for i in range(p.size - d + 1))
    assert abs(a.mean_max(p, [d]).values[0] - brute) < 1e-6


@settings(max_examples=40, deadline=None)
@given(p=powers, cp=st.floats(100, 400), wp=st.floats(5000, 30000))
def test_wbal_never_exceeds_w_prime(p, cp, wp):
    for method in ("integral", "differential"):
        balance = a.w_prime_balance(p, cp, wp, method, tau_s=500.0).balance_j
        assert (balance <= wp + 1e-6).all()


@settings(max_examples=40, deadline=None)
@given(vdot=st.floats(30, 85), distance=st.sampled_from([1500.0, 3000.0, 5000.0, 10000.0, 21097.5, 42195.0]))
def test_vdot_inverse_round_trip(vdot, distance):
    t = a.race_time_from_vdot(vdot, distance)
    assert abs(a.vdot(distance, t) - vdot) < 1e-6


@settings(max_examples=40, deadline=None)
@given(
    # Whole metres keep sums exact, so the brute force and the binary search see the same numbers.
    speed=arrays(np.float64, st.integers(2, 200), elements=st.integers(0, 8).map(float)),
    target=st.integers(1, 300).map(float),
)
def test_best_efforts_match_brute_force(speed, target):
    dist = np.cumsum(speed)
    brute = [j - i for i in range(dist.size) for j in range(i, dist.size) if dist[j] - dist[i] >= target]
    got = a.best_efforts(dist, [target]).as_dict()[target]
    assert got == (min(brute) if brute else None)
