from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import Reader, Scope
from api.routers.params import IsoDate, LowerTimeBound, UpperTimeBound
from query import models as m
from query import series

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics/correlate",
    response_model=m.CorrelationResult,
    summary="Aligned daily series and pairwise Pearson correlations at lags",
)
def correlate(
    scope: Scope,
    reader: Reader,
    metrics: Annotated[
        str,
        Query(
            max_length=512,
            description="comma-separated, 2-8 names, e.g. resting_hr,hrv,sleep_score,training_load",
        ),
    ],
    from_: Annotated[
        IsoDate | None, Query(alias="from", description="ISO 8601 date; default `to` - 89 days")
    ] = None,
    to: Annotated[
        IsoDate | None, Query(description="ISO 8601 date; default the athlete's last day with data")
    ] = None,
    resolution: Annotated[str, Query(pattern="^daily$", description="only daily for now")] = "daily",
    normalize: bool = True,
    max_lag_days: Annotated[int, Query(ge=0, le=series.MAX_LAG_DAYS)] = 3,
    athlete_id: Annotated[str | None, Query(max_length=128)] = None,
) -> m.CorrelationResult:
    with reader.cursor() as cur:
        return series.correlate(
            cur,
            scope,
            metrics.split(","),
            athlete_id=athlete_id,
            start=from_,
            end=to,
            normalize=normalize,
            max_lag_days=max_lag_days,
        )


@router.get("/metrics/catalogue", summary="Daily metrics the API derives (units, definitions)")
def metric_catalogue(scope: Scope) -> list[dict]:
    return series.catalogue()


@router.get(
    "/metrics/{metric}",
    response_model=m.MetricSeries,
    summary="Raw points of a metric, or a catalogue metric's daily series",
)
def get_metric(
    metric: Annotated[str, Path(max_length=64)],
    scope: Scope,
    reader: Reader,
    from_: Annotated[
        LowerTimeBound | None, Query(alias="from", description="ISO 8601 date or datetime, inclusive")
    ] = None,
    to: Annotated[
        UpperTimeBound | None, Query(description="ISO 8601 date (inclusive day) or datetime (exclusive)")
    ] = None,
    sources: Annotated[str | None, Query(max_length=256, description="comma-separated source names")] = None,
    athlete_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 5000,
) -> m.MetricSeries:
    wanted = [s.strip() for s in sources.split(",") if s.strip()] if sources else None
    with reader.cursor() as cur:
        return series.metric_series(
            cur,
            scope,
            metric,
            athlete_id=athlete_id,
            start=from_,
            end=to,
            sources=wanted,
            limit=limit,
        )
