from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.deps import AppSettings, Reader, Scope
from api.query.export import stream_export
from api.query.snapshot import reader_for

router = APIRouter(tags=["export"])


@router.get("/export", response_class=StreamingResponse,
            summary="The full account as a ZIP (JSON Lines + Parquet, originals, provider payloads, manifest with sha256)",
            responses={200: {"content": {"application/zip": {}}}})
def export(scope: Scope, reader: Reader, settings: AppSettings) -> StreamingResponse:
    # Open the snapshot before answering, so a missing snapshot is a clean 503, not a broken stream.
    with reader.cursor():
        pass
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        stream_export(reader, scope, settings.blob_dir, reader_for(settings.raw_payloads_path)),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="openfit-export-{stamp}.zip"'},
    )
