"""OpenFit analytics: the one implementation of every training-load and physiology algorithm.

Pure functions over numpy arrays / polars frames: no I/O, no framework imports (import-linter
contract in pyproject.toml). Formulas, units and citations are in each docstring; the algorithm
table with defaults and variant names is analytics/README.md.

Conventions
- Streams are 1 Hz with NaN for gaps: build them with `resample_1hz` / `to_stream` (rule in
  `analytics.streams`). Daily series are one value per calendar day, rest days 0, NaN refused.
- Variants are chosen by name (strings, as settings and dbt vars pass them). `VARIANTS[family]` lists
  the names, `DEFAULTS[family]` the default; an unknown name raises ValueError listing the valid ones.
- Results that depend on a variant say so: scalars come back as `Metric(value, method, unit, params)`;
  series as dicts carrying "convention"/"method" next to the arrays; fits as small dataclasses.
- A quantity the input cannot define is None (Metric.value None, NaN in arrays) by the rule in its
  docstring; invalid input (negative durations, HRmax <= HRrest, empty series, NaN daily loads, an
  unknown variant) raises ValueError.
"""

from ._common import DEFAULTS, VARIANTS, Metric, choose
from .activity import (
    DEFAULT_COLUMNS,
    DEFAULT_LOAD_PRIORITY,
    Thresholds,
    activity_load,
    parse_priority,
    score_activity,
    to_stream,
)
from .agreement import BlandAltman, bland_altman
from .efficiency import (
    aerobic_decoupling,
    efficiency_factor,
    running_decoupling,
    running_efficiency_factor,
)
from .frames import daily_training_load
from .geo import EARTH_MEAN_RADIUS_M, haversine_m, track_distance_m
from .heart_rate import Zone, hr_zones, lthr_from_test, max_hr, time_in_zones, zone_percentages
from .load import (
    BanisterFit,
    BanisterParams,
    acwr,
    banister_performance,
    fit_banister,
    monotony_strain,
    pmc,
    session_rpe_load,
    smoothing_constant,
)
from .power import (
    STANDARD_DURATIONS,
    CriticalPower3Fit,
    CriticalPowerFit,
    MeanMaxCurve,
    PowerZone,
    WPrimeBalance,
    average_power,
    critical_power,
    critical_power_3p,
    critical_power_3p_from_curve,
    critical_power_from_curve,
    critical_power_two_efforts,
    eftp_from_curve,
    ftp_from_test,
    intensity_factor,
    mean_max,
    morton_3p_power,
    normalized_power,
    power_curve,
    power_zones,
    skiba_tau,
    time_in_power_zones,
    tss,
    variability_index,
    w_prime_balance,
)
from .running import (
    STANDARD_RACE_DISTANCES_M,
    BestEfforts,
    best_efforts,
    grade_adjusted_speed,
    grade_from_altitude,
    minetti_cost,
    pace_to_speed,
    predict_race_times,
    race_time_from_vdot,
    riegel,
    rtss,
    vdot,
)
from .signal_quality import (
    ISSUE_KINDS,
    SignalIssue,
    clean_samples,
    detect_signal_issues,
    issues_frame,
    load_samples,
)
from .streams import DEFAULT_MAX_FILL_GAP_S, Stream, resample_1hz, resample_frame
from .trimp import (
    hr_reserve_fraction,
    hrss,
    trimp,
    trimp_banister,
    trimp_edwards,
    trimp_goldencheetah_zonal,
    trimp_lucia,
)
from .vo2max import vo2max_cooper, vo2max_from_race, vo2max_rockport, vo2max_uth_sorensen
from .wellness import (
    ANOMALY_KINDS,
    READINESS_WEIGHTS,
    detect_anomalies,
    hrv_swc,
    median_mad,
    readiness,
    readiness_components,
    readiness_score,
    robust_z,
    rolling_baseline,
    wellness_baselines,
)

__all__ = [
    # conventions
    "VARIANTS", "DEFAULTS", "Metric", "choose",
    # streams
    "Stream", "resample_1hz", "resample_frame", "DEFAULT_MAX_FILL_GAP_S",
    # positions
    "haversine_m", "track_distance_m", "EARTH_MEAN_RADIUS_M",
    # heart rate
    "max_hr", "hr_zones", "Zone", "time_in_zones", "zone_percentages", "lthr_from_test", "hr_reserve_fraction",
    # TRIMP / HRSS
    "trimp", "trimp_banister", "trimp_edwards", "trimp_lucia", "trimp_goldencheetah_zonal", "hrss",
    # power
    "normalized_power", "average_power", "intensity_factor", "tss", "variability_index",
    "mean_max", "power_curve", "MeanMaxCurve", "STANDARD_DURATIONS",
    "ftp_from_test", "eftp_from_curve", "power_zones", "PowerZone", "time_in_power_zones",
    "critical_power", "critical_power_from_curve", "critical_power_two_efforts", "CriticalPowerFit",
    "critical_power_3p", "critical_power_3p_from_curve", "morton_3p_power", "CriticalPower3Fit",
    "skiba_tau", "w_prime_balance", "WPrimeBalance",
    # running
    "rtss", "grade_adjusted_speed", "grade_from_altitude", "minetti_cost", "pace_to_speed",
    "vdot", "race_time_from_vdot", "riegel", "predict_race_times", "best_efforts", "BestEfforts", "STANDARD_RACE_DISTANCES_M",
    # aerobic efficiency
    "efficiency_factor", "running_efficiency_factor", "aerobic_decoupling", "running_decoupling",
    # VO2max
    "vo2max_from_race", "vo2max_cooper", "vo2max_rockport", "vo2max_uth_sorensen",
    # load series
    "pmc", "smoothing_constant", "banister_performance", "fit_banister", "BanisterParams", "BanisterFit",
    "acwr", "monotony_strain", "session_rpe_load", "daily_training_load",
    # activity scoring
    "Thresholds", "score_activity", "to_stream", "activity_load", "parse_priority",
    "DEFAULT_LOAD_PRIORITY", "DEFAULT_COLUMNS",
    # wellness baselines, anomalies, readiness
    "median_mad", "rolling_baseline", "robust_z", "hrv_swc", "wellness_baselines", "detect_anomalies",
    "ANOMALY_KINDS", "readiness_components", "readiness_score", "readiness", "READINESS_WEIGHTS",
    # agreement between devices
    "bland_altman", "BlandAltman",
    # data quality of the signal
    "detect_signal_issues", "clean_samples", "load_samples", "issues_frame", "SignalIssue", "ISSUE_KINDS",
]  # fmt: skip
