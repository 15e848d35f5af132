from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import Reader
from query import models as m
from query import reads
from query.snapshot import SnapshotUnavailable

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=m.Health,
    summary="Snapshot age, build status and row counts (no key needed)",
    responses={503: {"model": m.Health, "description": "No snapshot published yet."}},
)
def health(reader: Reader):
    try:
        with reader.cursor() as cur:
            return reads.health(cur)
    except SnapshotUnavailable:
        body = m.Health(status="unavailable", snapshot_present=False)
        return JSONResponse(status_code=503, content=body.model_dump(mode="json"))
