"""The Strava dlt source: athlete, zones, activities (+ detail, laps, streams), raw payloads verbatim.

Tables (dataset raw_strava): athlete, athlete_zones, activities, activity_details, laps, activity_streams;
see README.md in this folder for columns and keys.

Incremental loading: the `activities` resource keeps, per athlete, the newest `start_date` loaded (epoch s) in
dlt resource state. A sync asks Strava for activities `after` that cursor minus the look-back window (edited
activities are re-read and merged); a backfill is cut into chunks of `chunk_activities`, each one dlt load, so a
killed backfill resumes from the last committed chunk (state and data commit together) and merge keys make the
overlap harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time
from typing import Any

import dlt

from ingestion.auth.http import ApiClient, ApiError
from ingestion.auth.oauth import TokenManager
from ingestion.auth.ratelimit import RateLimitExhausted, WindowedRateLimiter
from ingestion.auth.rows import PAYLOAD_COLUMNS, raw_row, to_table
from ingestion.auth.tokens import TokenStore, remember_provider_user_id
from ingestion.sources.strava.settings import StravaSettings

log = logging.getLogger(__name__)
SOURCE = "strava"


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def make_client(settings: StravaSettings, athlete: str, store: TokenStore | None = None) -> ApiClient:
    """The rate-limited, token-refreshing API client for one athlete."""
    store = store or TokenStore.from_settings()
    tokens = TokenManager(settings.oauth_config(), store, athlete)
    limiter = WindowedRateLimiter(
        window_lengths_s=(settings.rate_window_short_s, settings.rate_window_long_s),
        max_wait_s=settings.max_rate_wait_s,
    )
    return ApiClient(settings.api_base_url, tokens, limiter, pool_size=max(4, settings.workers * 2))


def _optional(client: ApiClient, path: str, params: dict[str, Any] | None = None) -> Any:
    """GET that treats 404 as "nothing there" (manual activities have no streams)."""
    try:
        return client.get_json(path, params)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise


@dlt.source(name="strava", max_table_nesting=0)
def strava_source(
    athlete: str = "me",
    settings: StravaSettings | None = None,
    client: ApiClient | None = None,
    include_details: bool = True,
    include_laps: bool = True,
    include_streams: bool = True,
    chunk_activities: int | None = None,
) -> Any:
    """Build the Strava source for one OpenFit athlete (`openfit connect strava --athlete <athlete>`).

    `client` is normally built from settings and the token store; tests and benchmarks may pass their own.
    `chunk_activities` caps activities per run (default settings.chunk_activities); `sync_strava` loops.
    """
    settings = settings or StravaSettings()
    client = client or make_client(settings, athlete)
    chunk = chunk_activities or settings.chunk_activities
    stream_keys = settings.stream_keys

    @dlt.resource(
        name="athlete", primary_key="provider_athlete_id", write_disposition="merge", columns=PAYLOAD_COLUMNS
    )
    def athlete_resource() -> Iterator[dict[str, Any]]:
        payload = client.get_json("/athlete")
        remember_provider_user_id(SOURCE, athlete, payload.get("id"))
        yield raw_row(SOURCE, payload, provider_athlete_id=payload["id"], athlete=athlete)

    @dlt.resource(
        name="athlete_zones", primary_key="athlete", write_disposition="merge", columns=PAYLOAD_COLUMNS
    )
    def zones_resource() -> Iterator[dict[str, Any]]:
        payload = _optional(client, "/athlete/zones")
        if payload is not None:
            yield raw_row(SOURCE, payload, athlete=athlete)

    @dlt.resource(
        name="activities", primary_key="activity_id", write_disposition="merge", columns=PAYLOAD_COLUMNS
    )
    def activities_resource() -> Iterator[Any]:
        # one pipeline may serve several athletes: keep the cursor per athlete
        state = dlt.current.resource_state().setdefault(athlete, {})
        cursor: int | None = state.get("cursor")
        if cursor is None:
            since = settings.backfill_since
            after = int(datetime.combine(since, time.min, tzinfo=UTC).timestamp()) if since else 0
        elif state.get("resume"):
            after = cursor - 1  # continue a backfill: no look-back, just the boundary second
        else:
            after = cursor - int(settings.lookback_days * 86400)
        per_page = min(settings.per_page, chunk)
        page, loaded = 1, 0
        with ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="strava") as pool:
            while True:
                try:
                    batch = client.get_json(
                        "/athlete/activities", {"after": after, "page": page, "per_page": per_page}
                    )
                    children = _fetch_children(
                        pool, client, batch, include_details, include_laps, include_streams, stream_keys
                    )
                except RateLimitExhausted as exc:
                    log.warning("strava: rate limit exhausted (%s); progress kept, resume later", exc)
                    state["resume"] = True
                    state["exhausted"] = True
                    return
                if not batch:
                    state["resume"] = False
                    break
                yield to_table(
                    "activities",
                    [
                        raw_row(
                            SOURCE,
                            a,
                            activity_id=a["id"],
                            athlete=athlete,
                            provider_athlete_id=a["athlete"]["id"],
                            start_date=a["start_date"],
                        )
                        for a in batch
                    ],
                    "activity_id",
                )
                yield from children
                newest = max(_epoch(a["start_date"]) for a in batch)
                state["cursor"] = max(cursor or 0, newest)
                cursor = state["cursor"]
                loaded += len(batch)
                page += 1
                if len(batch) < per_page:
                    state["resume"] = False
                    break
                if loaded >= chunk:
                    state["resume"] = True
                    break
        state["exhausted"] = False

    return athlete_resource, zones_resource, activities_resource


def _fetch_children(
    pool: ThreadPoolExecutor,
    client: ApiClient,
    batch: list[dict[str, Any]],
    include_details: bool,
    include_laps: bool,
    include_streams: bool,
    stream_keys: str,
) -> list[Any]:
    """Detail, laps and streams of one page of activities, fetched in parallel under the shared limiter."""
    futures = []
    for activity in batch:
        aid = activity["id"]
        if include_details:
            futures.append(("detail", aid, pool.submit(client.get_json, f"/activities/{aid}")))
        if include_laps:
            futures.append(("laps", aid, pool.submit(_optional, client, f"/activities/{aid}/laps")))
        if include_streams:
            params = {"keys": stream_keys, "key_by_type": "true"}
            futures.append(
                ("streams", aid, pool.submit(_optional, client, f"/activities/{aid}/streams", params))
            )
    details, laps, streams = [], [], []
    for kind, aid, future in futures:
        payload = future.result()  # re-raises RateLimitExhausted / ApiError from the worker
        if payload is None:
            continue
        if kind == "detail":
            details.append(raw_row(SOURCE, payload, activity_id=aid, start_date=payload.get("start_date")))
        elif kind == "laps":
            laps.extend(
                raw_row(SOURCE, lap, activity_id=aid, lap_id=lap["id"], lap_index=lap.get("lap_index", i + 1))
                for i, lap in enumerate(payload)
            )
        else:
            streams.append(raw_row(SOURCE, payload, activity_id=aid, stream_types=",".join(sorted(payload))))
    out: list[Any] = []
    if details:
        out.append(to_table("activity_details", details, "activity_id"))
    if laps:
        out.append(to_table("laps", laps, ("activity_id", "lap_index"), merge_key="activity_id"))
    if streams:
        out.append(to_table("activity_streams", streams, "activity_id"))
    return out


def sync_strava(
    pipeline: dlt.Pipeline,
    athlete: str = "me",
    settings: StravaSettings | None = None,
    client: ApiClient | None = None,
    max_runs: int = 10_000,
    on_chunk: Callable[[dict[str, Any]], None] | None = None,
    **source_kwargs: Any,
) -> dict[str, Any]:
    """Run the pipeline chunk by chunk until the history is caught up (or the rate limit is spent).

    Each chunk is one dlt load: progress survives a crash. Returns a small summary (runs, resume flag);
    `on_chunk` receives the summary so far after every chunk (the orchestrator's progress report).
    """
    settings = settings or StravaSettings()
    own_client = client is None
    client = client or make_client(settings, athlete)
    runs = 0
    try:
        while runs < max_runs:
            source = strava_source(athlete=athlete, settings=settings, client=client, **source_kwargs)
            if runs > 0:
                source = source.with_resources("activities")  # athlete + zones once per sync is enough
            pipeline.run(source)
            runs += 1
            state = _activities_state(pipeline, athlete)
            if on_chunk is not None:
                on_chunk({"runs": runs, "resume": bool(state.get("resume")), **dict(client.stats)})
            if not state.get("resume") or state.get("exhausted"):
                break
    finally:
        if own_client:
            client.close()
    state = _activities_state(pipeline, athlete)
    return {
        "runs": runs,
        "resume": bool(state.get("resume")),
        "cursor": state.get("cursor"),
        "exhausted": bool(state.get("exhausted")),
        **dict(client.stats),
    }


def _activities_state(pipeline: dlt.Pipeline, athlete: str) -> dict[str, Any]:
    resources = pipeline.state.get("sources", {}).get("strava", {}).get("resources", {})
    return resources.get("activities", {}).get(athlete, {})
