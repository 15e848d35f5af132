from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Reader, Scope
from api.routers.params import IsoDate
from query import marts
from query import models as m

router = APIRouter(prefix="/analytics", tags=["analytics"])

FromDate = Annotated[IsoDate | None, Query(alias="from", description="ISO 8601 date, inclusive")]
ToDate = Annotated[IsoDate | None, Query(description="ISO 8601 date, inclusive")]
AthleteId = Annotated[str | None, Query(max_length=128)]
Limit = Annotated[int, Query(ge=1, le=10_000)]
NOT_BUILT: dict[int | str, dict[str, Any]] = {
    503: {"description": "The mart is not in the published snapshot yet (error code not_built_yet)."}
}


def _mart(reader, scope, table, athlete_id, from_, to, limit, filters=None) -> m.MartRows:
    with reader.cursor() as cur:
        return marts.mart_rows(
            cur, scope, table, athlete_id=athlete_id, start=from_, end=to, filters=filters, limit=limit
        )


@router.get(
    "/training-load",
    response_model=m.MartRows,
    responses=NOT_BUILT,
    summary="Daily training load, fitness, fatigue and form (marts.daily_training_load)",
)
def training_load(
    scope: Scope,
    reader: Reader,
    from_: FromDate = None,
    to: ToDate = None,
    athlete_id: AthleteId = None,
    limit: Limit = 1000,
) -> m.MartRows:
    return _mart(reader, scope, "daily_training_load", athlete_id, from_, to, limit)


@router.get(
    "/personal-records",
    response_model=m.MartRows,
    responses=NOT_BUILT,
    summary="Personal records (marts.personal_records)",
)
def personal_records(
    scope: Scope,
    reader: Reader,
    sport: Annotated[str | None, Query(max_length=64)] = None,
    athlete_id: AthleteId = None,
    limit: Limit = 1000,
) -> m.MartRows:
    return _mart(reader, scope, "personal_records", athlete_id, None, None, limit, {"sport": sport})


Window = Annotated[str | None, Query(max_length=32, description="all_time, 90d or season_YYYY")]


@router.get(
    "/power-curve",
    response_model=m.MartRows,
    responses=NOT_BUILT,
    summary="Mean-maximal power curve per window (marts.power_curve)",
)
def power_curve(
    scope: Scope,
    reader: Reader,
    window: Window = None,
    from_: FromDate = None,
    to: ToDate = None,
    athlete_id: AthleteId = None,
    limit: Limit = 1000,
) -> m.MartRows:
    return _mart(reader, scope, "power_curve", athlete_id, from_, to, limit, {"window": window})


@router.get(
    "/pace-curve",
    response_model=m.MartRows,
    responses=NOT_BUILT,
    summary="Best pace per distance and window (marts.pace_curve)",
)
def pace_curve(
    scope: Scope,
    reader: Reader,
    window: Window = None,
    from_: FromDate = None,
    to: ToDate = None,
    athlete_id: AthleteId = None,
    limit: Limit = 1000,
) -> m.MartRows:
    return _mart(reader, scope, "pace_curve", athlete_id, from_, to, limit, {"window": window})


@router.get(
    "/cross-device",
    response_model=m.MartRows,
    responses=NOT_BUILT,
    summary="The same daily metric from every source, the chosen one flagged, deviations "
    "(marts.cross_device_daily)",
)
def cross_device(
    scope: Scope,
    reader: Reader,
    from_: FromDate = None,
    to: ToDate = None,
    athlete_id: AthleteId = None,
    metric: Annotated[
        str | None,
        Query(
            max_length=64,
            description=("a wellness_daily metric, e.g. resting_hr, hrv_rmssd_ms, sleep_s; omit for all"),
        ),
    ] = None,
    limit: Limit = 1000,
) -> m.MartRows:
    with reader.cursor() as cur:
        return marts.compare_devices(
            cur, scope, athlete_id=athlete_id, start=from_, end=to, metric=metric, limit=limit
        )


@router.get(
    "/daily-summary",
    response_model=m.MartRows,
    responses=NOT_BUILT,
    summary="One row per athlete-day: load, CTL/ATL/TSB and the chosen resting HR, HRV, sleep, steps "
    "(marts.daily_athlete_summary)",
)
def daily_summary(
    scope: Scope,
    reader: Reader,
    from_: FromDate = None,
    to: ToDate = None,
    athlete_id: AthleteId = None,
    limit: Limit = 1000,
) -> m.MartRows:
    return _mart(reader, scope, "daily_athlete_summary", athlete_id, from_, to, limit)


@router.get(
    "/fitness-estimates",
    response_model=m.MartRows,
    responses=NOT_BUILT,
    summary="FTP, critical power, VO2max and other estimates (marts.fitness_estimates)",
)
def fitness_estimates(
    scope: Scope,
    reader: Reader,
    from_: FromDate = None,
    to: ToDate = None,
    athlete_id: AthleteId = None,
    limit: Limit = 1000,
) -> m.MartRows:
    return _mart(reader, scope, "fitness_estimates", athlete_id, from_, to, limit)


@router.get(
    "/anomalies",
    response_model=m.MartRows,
    responses=NOT_BUILT,
    summary="Flags per athlete-day: resting HR up, HRV below its normal band, short sleep, load spikes, "
    "and a combined illness/overreaching signal, each with severity and an explanation "
    "(marts.anomalies)",
)
def anomalies(
    scope: Scope,
    reader: Reader,
    from_: FromDate = None,
    to: ToDate = None,
    athlete_id: AthleteId = None,
    kind: Annotated[
        str | None,
        Query(
            max_length=64,
            description=(
                "resting_hr_elevated, hrv_below_swc, sleep_short, acwr_high, ramp_steep, monotony_high or "
                "illness_or_overreaching; omit for all"
            ),
        ),
    ] = None,
    severity: Annotated[str | None, Query(max_length=16, description="moderate or high")] = None,
    limit: Limit = 1000,
) -> m.MartRows:
    with reader.cursor() as cur:
        return marts.anomalies(
            cur, scope, athlete_id=athlete_id, start=from_, end=to, kind=kind, severity=severity, limit=limit
        )


@router.get(
    "/readiness",
    response_model=m.MartRows,
    responses=NOT_BUILT,
    summary="Daily readiness 0-100 with each component (HRV, resting HR, sleep, TSB, ACWR) and its weight "
    "(marts.readiness)",
)
def readiness(
    scope: Scope,
    reader: Reader,
    from_: FromDate = None,
    to: ToDate = None,
    athlete_id: AthleteId = None,
    limit: Limit = 1000,
) -> m.MartRows:
    return _mart(reader, scope, "readiness", athlete_id, from_, to, limit)


@router.get("/trends", response_model=m.Trends, summary="Weekly or monthly activity totals")
def activity_trends(
    scope: Scope,
    reader: Reader,
    period: Annotated[str, Query(pattern="^(week|month)$")] = "week",
    from_: FromDate = None,
    to: ToDate = None,
    sport: Annotated[str | None, Query(max_length=64)] = None,
    athlete_id: AthleteId = None,
) -> m.Trends:
    with reader.cursor() as cur:
        return marts.trends(
            cur, scope, athlete_id=athlete_id, period=period, start=from_, end=to, sport=sport
        )


@router.get(
    "/race-predictions",
    response_model=m.MartRows,
    responses=NOT_BUILT,
    summary="Race-time predictions from best efforts by Daniels' VDOT and Riegel, each with whether it lies in "
    "the method's stated range of validity (marts.race_predictions)",
)
def race_predictions(
    scope: Scope,
    reader: Reader,
    from_: FromDate = None,
    to: ToDate = None,
    athlete_id: AthleteId = None,
    target_distance_m: Annotated[
        float | None,
        Query(
            gt=0, description="one target distance in m (1609.344, 3000, 5000, 10000, 15000, 21097.5, 42195)"
        ),
    ] = None,
    limit: Limit = 1000,
) -> m.MartRows:
    """from/to filter on the date of the source effort."""
    target = None if target_distance_m is None else float(target_distance_m)
    return _mart(
        reader, scope, "race_predictions", athlete_id, from_, to, limit, filters={"target_distance_m": target}
    )
