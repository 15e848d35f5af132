from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse

from api.deps import AppSettings, Reader, Scope
from api.routers.params import LowerTimeBound, UpperTimeBound
from query import models as m
from query import reads
from query.errors import NotFound
from query.filters import MAX_PAGE

router = APIRouter(tags=["activities"])

# Ids are short hashes or provider ids; a longer one cannot exist, so it is refused before any query.
ActivityId = Annotated[str, Path(max_length=256)]


@router.get(
    "/activities", response_model=m.ActivityPage, summary="Activities, newest first, cursor-paginated"
)
def list_activities(
    scope: Scope,
    reader: Reader,
    from_: Annotated[
        LowerTimeBound | None, Query(alias="from", description="ISO 8601 date or datetime (UTC), inclusive")
    ] = None,
    to: Annotated[
        UpperTimeBound | None, Query(description="ISO 8601 date (inclusive day) or datetime (exclusive)")
    ] = None,
    sport: Annotated[str | None, Query(max_length=64)] = None,
    source: Annotated[str | None, Query(max_length=64)] = None,
    athlete_id: Annotated[str | None, Query(max_length=128)] = None,
    cursor: Annotated[
        str | None, Query(max_length=512, description="next_cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> m.ActivityPage:
    with reader.cursor() as cur:
        return reads.list_activities(
            cur,
            scope,
            athlete_id=athlete_id,
            start=from_,
            end=to,
            sport=sport,
            source=source,
            cursor=cursor,
            limit=limit,
        )


@router.get(
    "/activities/{activity_id}",
    response_model=m.ActivityDetail,
    summary="One activity with its recordings, laps and per-field sources",
)
def get_activity(activity_id: ActivityId, scope: Scope, reader: Reader) -> m.ActivityDetail:
    with reader.cursor() as cur:
        return reads.get_activity(cur, scope, activity_id)


@router.get(
    "/activities/{activity_id}/issues",
    response_model=m.ActivityIssues,
    summary="Sensor faults found in the activity's samples (marts.activity_data_issues)",
)
def get_activity_issues(activity_id: ActivityId, scope: Scope, reader: Reader) -> m.ActivityIssues:
    """HR spikes and dropouts, cadence lock, GPS jumps, power spikes and flat lines, each with where it is, how
    many samples, a severity and a plain-language explanation (analytics.signal_quality)."""
    with reader.cursor() as cur:
        return reads.activity_issues(cur, scope, activity_id)


@router.get(
    "/activities/{activity_id}/streams",
    response_model=m.Streams,
    summary="Sample streams (columnar), optionally downsampled",
)
def get_streams(
    activity_id: ActivityId,
    scope: Scope,
    reader: Reader,
    channels: Annotated[
        str | None, Query(description=f"comma-separated: {', '.join(reads.STREAM_CHANNELS)}", max_length=256)
    ] = None,
    max_points: Annotated[
        int | None,
        Query(ge=2, le=reads.MAX_STREAM_POINTS, description="downsample to at most this many points"),
    ] = 1000,
    recording_id: Annotated[
        str | None, Query(max_length=128, description="default: the primary recording")
    ] = None,
) -> m.Streams:
    wanted = [c.strip() for c in channels.split(",") if c.strip()] if channels else None
    with reader.cursor() as cur:
        return reads.get_streams(
            cur, scope, activity_id, channels=wanted, max_points=max_points, recording_id=recording_id
        )


@router.get(
    "/activities/{activity_id}/original",
    response_class=FileResponse,
    summary="The stored original file of the activity's primary recording",
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_original(
    activity_id: ActivityId, scope: Scope, reader: Reader, settings: AppSettings
) -> FileResponse:
    with reader.cursor() as cur:
        sha = reads.original_blob_sha(cur, scope, activity_id)
    if len(sha) < 3 or not sha.isalnum():
        raise NotFound("the original file reference is not valid")
    path = settings.blob_dir / sha[:2] / sha
    if not path.is_file():
        raise NotFound(f"the original file of activity {activity_id!r} is not in the blob store")
    return FileResponse(path, media_type="application/octet-stream", filename=f"{activity_id}-original")
