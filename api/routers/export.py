from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from api.deps import AppSettings, CallerKey, Reader
from api.limits import ReadLimits
from query.export import stream_export
from query.snapshot import reader_for

router = APIRouter(tags=["export"])


@router.get(
    "/export",
    response_class=StreamingResponse,
    summary="The full account as a ZIP (JSON Lines + Parquet, originals, provider payloads, manifest with sha256)",
    responses={200: {"content": {"application/zip": {}}}},
)
def export(request: Request, key: CallerKey, reader: Reader, settings: AppSettings) -> StreamingResponse:
    # Open the snapshot before answering, so a missing snapshot is a clean 503, not a broken stream.
    with reader.cursor():
        pass
    # An export reads every table of the key's athletes: only a few at a time (429 with Retry-After beyond).
    limits: ReadLimits = request.app.state.read_limits
    limits.exports.acquire(key.key_id)
    chunks = stream_export(reader, key.scope, settings.blob_dir, reader_for(settings.raw_payloads_path))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        ReleasingIterator(chunks, lambda: limits.exports.release(key.key_id)),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="openfit-export-{stamp}.zip"'},
    )


class ReleasingIterator:
    """Iterates `chunks` and calls `release` once: when they end, fail, are closed, or are dropped unstarted
    (a client that disconnects before the first chunk)."""

    def __init__(self, chunks: Iterator[bytes], release: Callable[[], None]) -> None:
        self._chunks = chunks
        self._release: Callable[[], None] | None = release

    def __iter__(self) -> ReleasingIterator:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()
            close = getattr(self._chunks, "close", None)
            if close is not None:
                close()

    def __del__(self) -> None:
        self.close()
