"""VO2max estimates (ml·kg⁻¹·min⁻¹)."""

from __future__ import annotations

from ._common import hr_range, positive, sex_key
from .running import vdot

LB_PER_KG = 2.2046226218


def vo2max_from_race(distance_m: float, time_s: float) -> float:
    """VO2max estimate from a race = its Daniels–Gilbert VDOT (already in ml·kg⁻¹·min⁻¹; NOT ×3.5).
    Daniels & Gilbert, Oxygen Power (1979)."""
    return vdot(distance_m, time_s)


def vo2max_cooper(distance_12min_m: float) -> float:
    """Cooper 12-min run: VO2max = (d12 − 504.9)/44.73, d12 in m. Cooper 1968, JAMA 203:201-204.
    2800 m → 51.31. Raises for distances at or below 504.9 m (the formula gives <= 0)."""
    d = positive(distance_12min_m, "distance_12min_m")
    if d <= 504.9:
        raise ValueError(f"a 12-min distance of {d} m is outside the Cooper regression")
    return (d - 504.9) / 44.73


def vo2max_rockport(weight_kg: float, age_years: float, sex: str, time_s: float, hr_bpm: float) -> float:
    """Rockport 1-mile walk (Kline et al. 1987, MSSE 19:253-259):
    VO2max = 132.853 − 0.0769·W[lb] − 0.3877·age + 6.315·sex − 3.2649·t[min] − 0.1565·HR, sex = 1 male.
    Weight is given in kg and converted to lb here (the regression is in pounds).
    80 kg, 40 y, male, 14:00, HR 130 → 44.04."""
    w_lb = positive(weight_kg, "weight_kg") * LB_PER_KG
    male = 1.0 if sex_key(sex) == "male" else 0.0
    t_min = positive(time_s, "time_s") / 60.0
    value = (
        132.853 - 0.0769 * w_lb - 0.3877 * positive(age_years, "age_years") + 6.315 * male
        - 3.2649 * t_min - 0.1565 * positive(hr_bpm, "hr_bpm")
    )  # fmt: skip
    if value <= 0:
        raise ValueError("inputs are outside the Rockport regression (VO2max <= 0)")
    return value


def vo2max_uth_sorensen(hr_max: float, hr_rest: float) -> float:
    """Uth–Sørensen: VO2max = 15.3 · HRmax/HRrest. Uth et al. 2004, Eur J Appl Physiol 91:111-115."""
    rest, top = hr_range(hr_rest, hr_max)
    return 15.3 * top / rest
