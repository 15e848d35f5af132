"""Load series: PMC alignment and ramp, ACWR variants, Foster monotony/strain, Banister fitting."""

import math

import numpy as np
import pytest

import analytics as a


def test_tsb_alignment_yesterday_vs_same_day():
    load = np.r_[np.full(10, 100.0), np.zeros(5)]
    yesterday = a.pmc(load)
    same = a.pmc(load, tsb="same_day")
    assert yesterday["tsb_alignment"] == "yesterday" and same["tsb_alignment"] == "same_day"
    np.testing.assert_allclose(same["tsb"], same["ctl"] - same["atl"])
    np.testing.assert_allclose(yesterday["tsb"][1:], same["tsb"][:-1])
    assert yesterday["tsb"][0] == 0.0


def test_ramp_rate_rule():
    load = np.arange(20, dtype=float)
    r = a.pmc(load)
    ctl = r["ctl"]
    np.testing.assert_allclose(r["ramp_rate"][:7], ctl[:7] - ctl[0])
    np.testing.assert_allclose(r["ramp_rate"][7:], ctl[7:] - ctl[:-7])


def test_pmc_matches_explicit_recursion_and_seeds():
    rng = np.random.default_rng(1)
    load = rng.uniform(0, 200, 120)
    r = a.pmc(load, "trainingpeaks", ctl_seed=50, atl_seed=60)
    ctl, atl = 50.0, 60.0
    for d, tss in enumerate(load):
        ctl += (tss - ctl) / 42
        atl += (tss - atl) / 7
        assert r["ctl"][d] == pytest.approx(ctl) and r["atl"][d] == pytest.approx(atl)
    assert r["tsb"][0] == pytest.approx(-10.0)


def test_pmc_rejects_bad_series():
    with pytest.raises(ValueError, match="empty"):
        a.pmc([])
    with pytest.raises(ValueError, match="NaN"):
        a.pmc([10.0, float("nan")])
    with pytest.raises(ValueError, match="negative"):
        a.pmc([10.0, -1.0])


def explicit_ewma(load, lam, seed):
    out, prev = [], seed
    for x in load:
        prev = lam * x + (1 - lam) * prev
        out.append(prev)
    return np.array(out)


def test_acwr_ewma_seeds():
    rng = np.random.default_rng(7)
    load = rng.uniform(0, 600, 60)
    first = a.acwr(load)
    assert first["method"] == "ewma" and first["ewma_seed"] == "first_load"
    acute = explicit_ewma(load, 0.25, load[0])
    chronic = explicit_ewma(load, 2 / 29, load[0])
    np.testing.assert_allclose(first["acute"], acute)
    np.testing.assert_allclose(first["ratio"], acute / chronic)
    assert first["acute"][0] == pytest.approx(load[0])  # Williams 2017 / R ACWR: EWMA_1 = first load
    zero = a.acwr(load, ewma_seed="zero")
    np.testing.assert_allclose(zero["chronic"], explicit_ewma(load, 2 / 29, 0.0))


def test_acwr_rolling_coupled_and_uncoupled():
    rng = np.random.default_rng(8)
    load = rng.uniform(0, 600, 50)
    coupled = a.acwr(load, "rolling_coupled")
    uncoupled = a.acwr(load, "rolling_uncoupled")
    assert np.isnan(coupled["ratio"][:27]).all() and np.isnan(uncoupled["ratio"][:27]).all()
    for t in range(27, 50):
        acute = load[t - 6 : t + 1].mean()
        assert coupled["ratio"][t] == pytest.approx(
            load[t - 6 : t + 1].sum() / (load[t - 27 : t + 1].sum() / 4)
        )
        assert uncoupled["ratio"][t] == pytest.approx(acute / load[t - 27 : t - 6].mean())


def test_acwr_constant_load_is_one_and_zero_chronic_is_null():
    for method in ("ewma", "rolling_coupled", "rolling_uncoupled"):
        r = a.acwr(np.full(40, 300.0), method)
        assert r["ratio"][-1] == pytest.approx(1.0)
        z = a.acwr(np.zeros(40), method)
        assert np.isnan(z["ratio"]).all()


def test_monotony_strain_population_and_sample_sd():
    week = np.array([60.0, 0, 120, 30, 90, 0, 150])
    pop = a.monotony_strain(week)
    assert np.isnan(pop["monotony"][:6]).all()
    mean, sd_pop, sd_s = week.mean(), week.std(), week.std(ddof=1)
    assert pop["monotony"][6] == pytest.approx(mean / sd_pop)
    assert pop["strain"][6] == pytest.approx(week.sum() * mean / sd_pop)
    assert pop["weekly_load"][6] == pytest.approx(450.0)
    assert a.monotony_strain(week, sd="sample")["monotony"][6] == pytest.approx(mean / sd_s)


def test_monotony_null_when_sd_is_zero():
    r = a.monotony_strain(np.full(10, 0.1))  # 0.1 is inexact in binary: std may be ~1e-17, still null
    assert np.isnan(r["monotony"]).all() and np.isnan(r["strain"]).all()
    assert r["weekly_load"][-1] == pytest.approx(0.7)


def test_session_rpe_load():
    assert a.session_rpe_load(7, 60) == 420
    with pytest.raises(ValueError, match="CR-10"):
        a.session_rpe_load(15, 60)


def test_banister_model_matches_direct_sum():
    rng = np.random.default_rng(2)
    load = rng.uniform(0, 150, 80)
    params = a.BanisterParams(p0=300, k1=0.9, k2=1.8, tau1=45, tau2=11)
    perf = a.banister_performance(load, params)
    t = 60
    direct = 300 + sum(
        load[s] * (0.9 * math.exp(-(t - s) / 45) - 1.8 * math.exp(-(t - s) / 11)) for s in range(t)
    )
    assert perf[t] == pytest.approx(direct)
    today = a.banister_performance(load, params, include_today=True)
    assert today[t] == pytest.approx(direct + load[t] * (0.9 - 1.8))


def test_banister_fit_recovers_parameters():
    rng = np.random.default_rng(4)
    load = np.where(rng.random(300) < 0.7, rng.uniform(30, 200, 300), 0.0)
    truth = a.BanisterParams(p0=250, k1=0.08, k2=0.25, tau1=40, tau2=9)
    perf = np.full(300, np.nan)
    test_days = np.arange(10, 300, 6)
    perf[test_days] = a.banister_performance(load, truth)[test_days]
    fit = a.fit_banister(load, perf)
    assert fit.success and fit.n_tests == test_days.size
    assert fit.rmse < 1e-3
    got = fit.params
    assert got.tau1 == pytest.approx(40, rel=1e-3) and got.tau2 == pytest.approx(9, rel=1e-3)
    assert got.k1 == pytest.approx(0.08, rel=1e-3) and got.k2 == pytest.approx(0.25, rel=1e-3)
    with pytest.raises(ValueError, match="at least 5"):
        a.fit_banister(load, np.r_[perf[:20], np.full(280, np.nan)])
