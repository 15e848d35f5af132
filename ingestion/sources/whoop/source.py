"""The WHOOP v2 dlt source: profile, body_measurement, cycle, recovery, sleep, workout. Raw documents verbatim
in `payload`.

Incremental loading per collection and athlete: resource state keeps `next_day`, the first UTC day not yet
fully loaded. A run walks windows of `window_days` (query `start`/`end`, end exclusive) from
`next_day - lookback_days` up to today, following `nextToken` inside each window (`limit` <= 25, answers
`records[]` + `next_token`), and stops after `windows_per_run` windows (state `resume` = true) so a long
backfill commits in chunks; `sync_whoop` loops until every collection is caught up or the daily request
budget is spent. Merge keys (`id`; recovery: `cycle_id`; profile and body: the athlete) make re-reads harmless.
Requests are paced at WHOOP's documented limits (100 / minute, 10,000 / day) by the shared limiter; a 429
waits for `Retry-After` in the shared client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import dlt

from ingestion.auth.http import ApiClient
from ingestion.auth.oauth import TokenManager
from ingestion.auth.ratelimit import RateLimitExhausted, WindowedRateLimiter
from ingestion.auth.rows import PAYLOAD_COLUMNS, raw_row
from ingestion.auth.tokens import TokenStore, remember_provider_user_id
from ingestion.pipelines import day_windows, sync_provider
from ingestion.sources.whoop.settings import WhoopSettings

log = logging.getLogger(__name__)
SOURCE = "whoop"
# table name -> (collection path, primary key, id field in the record)
COLLECTIONS: dict[str, tuple[str, str, str]] = {
    "cycle": ("/v2/cycle", "id", "id"),
    "recovery": ("/v2/recovery", "cycle_id", "cycle_id"),
    "sleep": ("/v2/activity/sleep", "id", "id"),
    "workout": ("/v2/activity/workout", "id", "id"),
}


def make_client(settings: WhoopSettings, athlete: str, store: TokenStore | None = None) -> ApiClient:
    """The paced, token-refreshing API client for one athlete."""
    store = store or TokenStore.from_settings()
    tokens = TokenManager(settings.oauth_config(), store, athlete)
    # WHOOP's rate-limit headers are not the Strava-style usage pairs the limiter reads: pace at the
    # documented limits from the first request on (fixed windows, as the limiter keeps them).
    limiter = WindowedRateLimiter(
        header_pairs=(("X-RateLimit-Limit", "X-RateLimit-Usage"),),
        window_lengths_s=(settings.rate_window_short_s, settings.rate_window_long_s),
        known_limits=(settings.rate_limit_short, settings.rate_limit_long),
        max_wait_s=settings.max_rate_wait_s,
    )
    return ApiClient(settings.api_base_url, tokens, limiter)


def _paginate(client: ApiClient, path: str, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
    token: str | None = None
    while True:
        query = dict(params)
        if token:
            query["nextToken"] = token
        page = client.get_json(path, query)
        yield page.get("records") or []
        token = page.get("next_token")
        if not token:
            return


def _single(client: ApiClient, path: str) -> dict[str, Any] | None:
    """One document; None when the day's request budget is spent (the next sync reads it again)."""
    try:
        return client.get_json(path)
    except RateLimitExhausted as exc:
        log.warning("whoop %s: rate limit exhausted (%s); skipped this time", path, exc)
        return None


def _instant(day: date) -> str:
    return datetime.combine(day, time.min, tzinfo=UTC).isoformat().replace("+00:00", "Z")


@dlt.source(name="whoop", max_table_nesting=0)
def whoop_source(
    athlete: str = "me",
    settings: WhoopSettings | None = None,
    client: ApiClient | None = None,
    today: date | None = None,
    collections: tuple[str, ...] | None = None,
) -> Any:
    """Build the WHOOP source for one OpenFit athlete. `today` fixes the last day asked for (tests)."""
    settings = settings or WhoopSettings()
    client = client or make_client(settings, athlete)
    last_day = today or datetime.now(UTC).date()

    @dlt.resource(name="profile", primary_key="athlete", write_disposition="merge", columns=PAYLOAD_COLUMNS)
    def profile() -> Iterator[dict[str, Any]]:
        payload = _single(client, "/v2/user/profile/basic")
        if payload is not None:
            remember_provider_user_id(SOURCE, athlete, payload.get("user_id"))
            yield raw_row(SOURCE, payload, athlete=athlete, user_id=payload.get("user_id"))

    @dlt.resource(
        name="body_measurement", primary_key="athlete", write_disposition="merge", columns=PAYLOAD_COLUMNS
    )
    def body_measurement() -> Iterator[dict[str, Any]]:
        payload = _single(client, "/v2/user/measurement/body")
        if payload is not None:
            yield raw_row(SOURCE, payload, athlete=athlete)

    def collection_resource(table: str, path: str, key: str, id_field: str) -> Any:
        def _keys(doc: dict[str, Any]) -> dict[str, Any]:
            # recovery has no id and no times of its own: its cycle (merge key) and sleep name it
            if table == "recovery":
                return {"cycle_id": doc["cycle_id"], "sleep_id": doc.get("sleep_id")}
            return {key: doc[id_field], "start": doc.get("start")}

        @dlt.resource(name=table, primary_key=key, write_disposition="merge", columns=PAYLOAD_COLUMNS)
        def records() -> Iterator[list[dict[str, Any]]]:
            state = dlt.current.resource_state().setdefault(athlete, {})  # per athlete
            windows = day_windows(state, settings, last_day)
            try:
                for start, end in windows:
                    params = {
                        "start": _instant(start),
                        "end": _instant(end + timedelta(days=1)),
                        "limit": settings.page_limit,
                    }
                    for page in _paginate(client, path, params):
                        if page:
                            yield [raw_row(SOURCE, doc, **_keys(doc), athlete=athlete) for doc in page]
                    state["next_day"] = (end + timedelta(days=1)).isoformat()
            except RateLimitExhausted as exc:
                log.warning("whoop %s: rate limit exhausted (%s); progress kept, resume later", table, exc)
                state["resume"] = True
                state["exhausted"] = True
                return
            state["exhausted"] = False
            state["resume"] = bool(windows) and date.fromisoformat(state["next_day"]) <= last_day

        return records

    resources = [profile, body_measurement] + [
        collection_resource(table, *spec) for table, spec in COLLECTIONS.items()
    ]
    if collections:
        resources = [r for r in resources if r.name in collections]
    return resources


def sync_whoop(
    pipeline: dlt.Pipeline,
    athlete: str = "me",
    settings: WhoopSettings | None = None,
    client: ApiClient | None = None,
    max_runs: int = 1000,
    on_chunk: Callable[[dict[str, Any]], None] | None = None,
    **source_kwargs: Any,
) -> dict[str, Any]:
    """Run chunk after chunk until every collection has reached today (or the daily budget is spent).
    Returns a summary; `on_chunk` receives the summary so far after every chunk (the orchestrator's progress
    report)."""
    settings = settings or WhoopSettings()
    return sync_provider(
        pipeline,
        athlete,
        client,
        lambda: make_client(settings, athlete),
        lambda client: whoop_source(athlete=athlete, settings=settings, client=client, **source_kwargs),
        max_runs,
        on_chunk,
    )
