"""Bland-Altman agreement (analytics/agreement.py): a hand-computed example and the null and error rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

import analytics as a


def test_bias_and_limits_match_a_hand_computation():
    watch = [52.0, 55.0, 50.0, 53.0, 51.0]
    ring = [50.0, 54.0, 49.0, 50.0, 50.0]
    # differences 2, 1, 1, 3, 1: mean 1.6, sample SD sqrt(((0.4)² + 3·(0.6)² + (1.4)²) / 4) = sqrt(0.8)
    result = a.bland_altman(watch, ring)
    assert result.n == 5
    assert result.bias == pytest.approx(1.6)
    assert result.sd == pytest.approx(math.sqrt(0.8))
    assert result.loa_lower == pytest.approx(1.6 - 1.96 * math.sqrt(0.8))
    assert result.loa_upper == pytest.approx(1.6 + 1.96 * math.sqrt(0.8))


def test_pairs_with_a_missing_reading_are_dropped():
    result = a.bland_altman([60.0, np.nan, 58.0, 61.0], [59.0, 57.0, None, 60.0])
    assert result.n == 2 and result.bias == pytest.approx(1.0) and result.sd == pytest.approx(0.0)


def test_swapping_the_methods_flips_the_bias_only():
    rng = np.random.default_rng(3)
    x = rng.normal(50, 4, 200)
    y = x - 1.5 + rng.normal(0, 1, 200)
    ab, ba = a.bland_altman(x, y), a.bland_altman(y, x)
    assert ab.bias == pytest.approx(-ba.bias) and ab.sd == pytest.approx(ba.sd)
    assert ab.bias == pytest.approx(1.5, abs=0.3)
    # about 95 % of the differences fall inside the limits
    inside = np.mean((x - y >= ab.loa_lower) & (x - y <= ab.loa_upper))
    assert 0.9 <= inside <= 0.99


def test_fewer_than_two_pairs_define_nothing_and_unequal_lengths_raise():
    assert a.bland_altman([50.0], [49.0]) == a.BlandAltman(1, None, None, None, None)
    assert a.bland_altman([], []).n == 0
    with pytest.raises(ValueError, match="same length"):
        a.bland_altman([1.0, 2.0], [1.0])
