"""Agreement between two methods measuring the same quantity (e.g. two devices' resting heart rate).

Bland-Altman analysis (Bland & Altman 1986, Lancet 327:307-310; 1999, Stat Methods Med Res 8:135-160): for
paired readings a_i, b_i the differences d_i = a_i - b_i have bias = mean(d) and 95 % limits of agreement
bias ± 1.96·SD(d), SD with n - 1 (sample). A positive bias means a reads higher than b.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common import as_float_array

LOA_Z = 1.96  # two-sided 95 % of a normal distribution


@dataclass(frozen=True, slots=True)
class BlandAltman:
    """Bias and 95 % limits of agreement of a - b, in the unit of the readings.

    `n` counts the pairs where both readings are present; the other fields are None below 2 pairs."""

    n: int
    bias: float | None
    sd: float | None
    loa_lower: float | None
    loa_upper: float | None


def bland_altman(a, b) -> BlandAltman:
    """Bland-Altman bias and limits of agreement of paired readings `a` and `b` (same length).

    Pairs where either reading is NaN are dropped (one device did not measure that day). Fewer than two
    complete pairs define no SD: the statistics are None. Arrays of different lengths raise ValueError.
    """
    x, y = as_float_array(a, "a", allow_empty=True), as_float_array(b, "b", allow_empty=True)
    if x.shape != y.shape:
        raise ValueError(f"a and b must be paired readings of the same length, got {x.size} and {y.size}")
    both = ~(np.isnan(x) | np.isnan(y))
    d = x[both] - y[both]
    n = int(d.size)
    if n < 2:
        return BlandAltman(n, None, None, None, None)
    bias, sd = float(d.mean()), float(d.std(ddof=1))
    return BlandAltman(n=n, bias=bias, sd=sd, loa_lower=bias - LOA_Z * sd, loa_upper=bias + LOA_Z * sd)
