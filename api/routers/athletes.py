from __future__ import annotations

from fastapi import APIRouter

from api.deps import Reader, Scope
from query import models as m
from query import reads

router = APIRouter(tags=["athletes"])


@router.get("/athletes", response_model=list[m.Athlete], summary="Athletes this key may see")
def list_athletes(scope: Scope, reader: Reader) -> list[m.Athlete]:
    with reader.cursor() as cur:
        return reads.list_athletes(cur, scope)


@router.get(
    "/sources", response_model=list[m.SourceStatus], summary="Each data source: last sync, rows, status"
)
def list_sources(scope: Scope, reader: Reader) -> list[m.SourceStatus]:
    with reader.cursor() as cur:
        return reads.list_sources(cur, scope)
