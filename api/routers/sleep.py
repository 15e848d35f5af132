from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import Reader, Scope
from api.routers.params import IsoDate
from query import models as m
from query import reads

router = APIRouter(tags=["sleep and wellness"])

FromDate = Annotated[IsoDate | None, Query(alias="from", description="ISO 8601 local date, inclusive")]
ToDate = Annotated[IsoDate | None, Query(description="ISO 8601 local date, inclusive")]


@router.get(
    "/sleep", response_model=list[m.SleepSession], summary="Sleep sessions by local date, newest first"
)
def list_sleep(
    scope: Scope,
    reader: Reader,
    from_: FromDate = None,
    to: ToDate = None,
    source: Annotated[str | None, Query(max_length=64)] = None,
    athlete_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[m.SleepSession]:
    with reader.cursor() as cur:
        return reads.list_sleep(
            cur, scope, athlete_id=athlete_id, start=from_, end=to, source=source, limit=limit
        )


@router.get("/sleep/{sleep_id}", response_model=m.SleepDetail, summary="One sleep session with its stages")
def get_sleep(sleep_id: Annotated[str, Path(max_length=256)], scope: Scope, reader: Reader) -> m.SleepDetail:
    with reader.cursor() as cur:
        return reads.get_sleep(cur, scope, sleep_id)


@router.get(
    "/wellness",
    response_model=list[m.WellnessDay],
    summary="Daily wellness, one row per athlete-day: each metric's chosen value and its source, newest first",
)
def list_wellness(
    scope: Scope,
    reader: Reader,
    from_: FromDate = None,
    to: ToDate = None,
    athlete_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 366,
) -> list[m.WellnessDay]:
    with reader.cursor() as cur:
        return reads.list_wellness(cur, scope, athlete_id=athlete_id, start=from_, end=to, limit=limit)


@router.get(
    "/wellness/by-source",
    response_model=list[m.WellnessSourceDay],
    summary="Every source's daily wellness values (one row per athlete, date and device), newest first",
)
def list_wellness_by_source(
    scope: Scope,
    reader: Reader,
    from_: FromDate = None,
    to: ToDate = None,
    source: Annotated[str | None, Query(max_length=64)] = None,
    athlete_id: Annotated[str | None, Query(max_length=128)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 366,
) -> list[m.WellnessSourceDay]:
    with reader.cursor() as cur:
        return reads.list_wellness_by_source(
            cur, scope, athlete_id=athlete_id, start=from_, end=to, source=source, limit=limit
        )
