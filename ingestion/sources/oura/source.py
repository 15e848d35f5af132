"""The Oura v2 dlt source: personal_info, sleep, daily_sleep, daily_readiness, daily_activity, heart_rate,
workout, session, daily_spo2, daily_stress, vo2_max. Raw documents verbatim in `payload`.

Incremental loading per collection: resource state keeps `next_day`, the first day not yet fully loaded. A run
walks date windows of `window_days` from `next_day - lookback_days` up to today, following `next_token` inside
each window, and stops after `windows_per_run` windows (state `resume` = true) so a long backfill commits in
chunks; `sync_oura` loops until every collection is caught up. Merge keys (`id`; heart rate: athlete +
timestamp) make re-reads harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import dlt

from ingestion.auth.http import ApiClient
from ingestion.auth.oauth import TokenManager
from ingestion.auth.ratelimit import NullRateLimiter
from ingestion.auth.rows import PAYLOAD_COLUMNS, raw_row
from ingestion.auth.tokens import TokenStore, remember_provider_user_id
from ingestion.pipelines import day_windows, sync_provider
from ingestion.sources.oura.settings import OuraSettings

log = logging.getLogger(__name__)
SOURCE = "oura"
# table name -> API collection path
DOCUMENT_COLLECTIONS = {
    "sleep": "sleep",
    "daily_sleep": "daily_sleep",
    "daily_readiness": "daily_readiness",
    "daily_activity": "daily_activity",
    "workout": "workout",
    "session": "session",
    "daily_spo2": "daily_spo2",
    "daily_stress": "daily_stress",
    "vo2_max": "vO2_max",
}
HEART_RATE_COLUMNS = {
    "timestamp": {"data_type": "timestamp", "timezone": True},
    "bpm": {"data_type": "bigint"},
    "_fetched_at": {"data_type": "timestamp", "timezone": True},
}


def make_client(settings: OuraSettings, athlete: str, store: TokenStore | None = None) -> ApiClient:
    store = store or TokenStore.from_settings()
    tokens = TokenManager(settings.oauth_config(), store, athlete)
    # Oura documents no rate-limit headers (5,000 requests / 5 min): pace only after a 429.
    return ApiClient(settings.api_base_url, tokens, NullRateLimiter())


def _paginate(client: ApiClient, path: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
    token: str | None = None
    while True:
        query = dict(params)
        if token:
            query["next_token"] = token
        page = client.get_json(path, query)
        yield page.get("data") or []
        token = page.get("next_token")
        if not token:
            return


@dlt.source(name="oura", max_table_nesting=0)
def oura_source(
    athlete: str = "me",
    settings: OuraSettings | None = None,
    client: ApiClient | None = None,
    today: date | None = None,
    collections: tuple[str, ...] | None = None,
) -> Any:
    """Build the Oura source for one OpenFit athlete. `today` fixes the last day asked for (tests)."""
    settings = settings or OuraSettings()
    client = client or make_client(settings, athlete)
    last_day = today or datetime.now(UTC).date()

    @dlt.resource(name="personal_info", primary_key="id", write_disposition="merge", columns=PAYLOAD_COLUMNS)
    def personal_info() -> Iterator[dict[str, Any]]:
        payload = client.get_json("/usercollection/personal_info")
        remember_provider_user_id(SOURCE, athlete, payload.get("id"))
        yield raw_row(SOURCE, payload, id=payload["id"], athlete=athlete)

    def document_resource(table: str, collection: str) -> Any:
        @dlt.resource(name=table, primary_key="id", write_disposition="merge", columns=PAYLOAD_COLUMNS)
        def documents() -> Iterator[list[dict[str, Any]]]:
            state = dlt.current.resource_state().setdefault(athlete, {})  # per athlete
            windows = day_windows(state, settings, last_day)
            for start, end in windows:
                params = {"start_date": start.isoformat(), "end_date": end.isoformat()}
                for page in _paginate(client, f"/usercollection/{collection}", params):
                    if page:
                        yield [
                            raw_row(SOURCE, doc, id=doc["id"], day=doc.get("day"), athlete=athlete)
                            for doc in page
                        ]
                state["next_day"] = (end + timedelta(days=1)).isoformat()
            state["resume"] = bool(windows) and date.fromisoformat(state["next_day"]) <= last_day

        return documents

    @dlt.resource(
        name="heart_rate",
        primary_key=("athlete", "timestamp"),
        write_disposition="merge",
        columns=HEART_RATE_COLUMNS,
    )
    def heart_rate() -> Iterator[list[dict[str, Any]]]:
        state = dlt.current.resource_state().setdefault(athlete, {})  # per athlete
        windows = day_windows(state, settings, last_day)
        for start, end in windows:
            params = {
                "start_datetime": datetime.combine(start, time.min, tzinfo=UTC).isoformat(),
                "end_datetime": datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC).isoformat(),
            }
            for page in _paginate(client, "/usercollection/heartrate", params):
                if page:
                    fetched = datetime.now(UTC)
                    # high-volume series: vendor fields as columns, no per-row payload copy
                    yield [
                        {
                            "athlete": athlete,
                            "timestamp": row["timestamp"],
                            "bpm": row["bpm"],
                            "source": row.get("source"),
                            "_source": SOURCE,
                            "_fetched_at": fetched,
                        }
                        for row in page
                    ]
            state["next_day"] = (end + timedelta(days=1)).isoformat()
        state["resume"] = bool(windows) and date.fromisoformat(state["next_day"]) <= last_day

    resources = [personal_info, heart_rate] + [
        document_resource(t, c) for t, c in DOCUMENT_COLLECTIONS.items()
    ]
    if collections:
        resources = [r for r in resources if r.name in collections]
    return resources


def sync_oura(
    pipeline: dlt.Pipeline,
    athlete: str = "me",
    settings: OuraSettings | None = None,
    client: ApiClient | None = None,
    max_runs: int = 1000,
    on_chunk: Callable[[dict[str, Any]], None] | None = None,
    **source_kwargs: Any,
) -> dict[str, Any]:
    """Run chunk after chunk until every collection has reached today. Returns a summary; `on_chunk`
    receives the summary so far after every chunk (the orchestrator's progress report)."""
    settings = settings or OuraSettings()
    return sync_provider(
        pipeline,
        athlete,
        client,
        lambda: make_client(settings, athlete),
        lambda client: oura_source(athlete=athlete, settings=settings, client=client, **source_kwargs),
        max_runs,
        on_chunk,
    )
