"""Shared pieces: the result type, the variant registry and input validation.

Nothing here knows any sports science; it keeps the rules for names, nulls and errors in one place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Every selectable variant, by family. The first name of each tuple is the project default
# (sports-science.md, "Conventions this project adopts"). Settings and dbt vars pass these strings.
VARIANTS: dict[str, tuple[str, ...]] = {
    "max_hr": ("tanaka", "fox", "nes", "gulati"),
    "hr_zones": ("percent_hrmax", "karvonen", "friel_cycling", "friel_running"),
    "trimp": ("banister", "banister_session_avg", "goldencheetah", "edwards", "lucia", "goldencheetah_zonal"),
    "hrss": ("trimp", "avg_hr_squared"),
    "np": ("valid_windows", "zero_padded", "expanding", "window_p4"),
    "ftp_test": ("20min", "8min", "ramp"),
    "cp_fit": ("work_time", "inverse_time"),
    "wbal": ("integral", "differential"),
    "rtss_pace": ("mean_gap", "normalized_gap"),
    "gap": ("minetti", "none"),
    "pmc": ("goldencheetah", "trainingpeaks", "ema"),
    "tsb": ("yesterday", "same_day"),
    "acwr": ("ewma", "rolling_coupled", "rolling_uncoupled"),
    "ewma_seed": ("first_load", "zero"),
    "sd": ("population", "sample"),
    "load_source": ("power_tss", "rtss", "hrss", "session_rpe"),
    "ef_output": ("normalized", "average"),
    # which samples the activity load is scored on: as recorded, or with analytics.signal_quality's flagged
    # samples set to null
    "load_stream": ("raw", "cleaned"),
}

DEFAULTS: dict[str, str] = {family: names[0] for family, names in VARIANTS.items()}
# Max HR has no universal default; Tanaka (2001) is the best-validated general-population formula.


def choose(family: str, name: str) -> str:
    """Return `name` normalised (lower case, '-' -> '_') if it is a valid variant of `family`.

    Raises ValueError listing the valid names otherwise, so a typo in a setting fails loudly.
    """
    if family not in VARIANTS:
        raise ValueError(f"unknown variant family {family!r}; valid families: {', '.join(sorted(VARIANTS))}")
    if not isinstance(name, str):
        raise ValueError(f"{family} variant must be a string name, got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_")
    if key not in VARIANTS[family]:
        raise ValueError(f"unknown {family} variant {name!r}; valid: {', '.join(VARIANTS[family])}")
    return key


@dataclass(frozen=True, slots=True)
class Metric:
    """A scalar result that says how it was computed.

    `value` is None when the input cannot define the quantity (the documented null rule of each
    function, e.g. no heart-rate samples). `method` is the variant name; `unit` the unit of `value`;
    `params` the inputs that shaped the number (thresholds, constants) so it can be audited.
    """

    value: float | None
    method: str
    unit: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __float__(self) -> float:
        return math.nan if self.value is None else float(self.value)

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "method": self.method, "unit": self.unit, **dict(self.params)}


# ---------------------------------------------------------------------------------------- validation


def as_float_array(
    values: Any, name: str, *, allow_nan: bool = True, allow_empty: bool = False
) -> np.ndarray:
    """1-D float64 view of `values` (numpy array, list, polars Series). None becomes NaN."""
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):
        values = values.to_numpy()  # polars Series: nulls become NaN for float dtypes
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{name} is empty")
    if not allow_nan and np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN/null values; fill rest days with 0 or drop them explicitly")
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains infinite values")
    return arr


def positive(value: float, name: str) -> float:
    value = finite(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def non_negative(value: float, name: str) -> float:
    value = finite(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def finite(value: float, name: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, got {value!r}") from exc
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def hr_range(hr_rest: float, hr_max: float) -> tuple[float, float]:
    hr_rest = positive(hr_rest, "hr_rest")
    hr_max = positive(hr_max, "hr_max")
    if hr_max <= hr_rest:
        raise ValueError(f"hr_max ({hr_max}) must be greater than hr_rest ({hr_rest})")
    return hr_rest, hr_max


def sex_key(sex: str) -> str:
    key = str(sex).strip().lower()
    aliases = {"m": "male", "male": "male", "f": "female", "female": "female"}
    if key not in aliases:
        raise ValueError(f"sex must be 'male' or 'female' (or 'm'/'f'), got {sex!r}")
    return aliases[key]
