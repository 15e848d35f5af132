"""Helpers shared by API sources: raw rows (verbatim payload + keys + provenance) and table hints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dlt

PAYLOAD_COLUMNS: dict[str, Any] = {
    "payload": {"data_type": "json"},
    "_fetched_at": {"data_type": "timestamp", "timezone": True},
}


def raw_row(source: str, payload: Any, **keys: Any) -> dict[str, Any]:
    """One raw-layer row: key columns, the vendor object verbatim in `payload`, and provenance."""
    return {**keys, "payload": payload, "_source": source, "_fetched_at": datetime.now(UTC)}


def to_table(
    table: str,
    rows: list[dict[str, Any]],
    primary_key: str | tuple[str, ...],
    merge_key: str | None = None,
) -> Any:
    """Route rows from one resource to `table` with merge hints (a resource may fill several tables)."""
    disposition: Any = "merge"
    if merge_key:
        # replace the whole group (e.g. all laps of an activity) so edited activities lose stale children
        disposition = {"disposition": "merge", "strategy": "delete-insert"}
    hints = dlt.mark.make_hints(
        table_name=table,
        primary_key=primary_key,
        merge_key=merge_key,
        write_disposition=disposition,
        columns=PAYLOAD_COLUMNS,
    )
    return dlt.mark.with_hints(rows, hints, create_table_variant=True)
