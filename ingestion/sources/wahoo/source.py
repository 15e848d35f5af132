"""The Wahoo Cloud API v1 dlt source: the user (`GET /v1/user`) and the workouts (`GET /v1/workouts`), each
workout with its embedded `workout_summary`. Raw documents verbatim in `payload`.

Wahoo lists workouts newest first (sorted by `starts`, descending) with `page`/`per_page` paging and no date
filter, so incremental loading walks pages from page 1 down to a stop line: the first sync to
`backfill_since`, later syncs to `lookback_days` before the newest start already loaded (a workout's summary
arrives, or is edited, after the workout was created). A walk reads `pages_per_run` pages per dlt load and keeps
its place in resource state (`next_page`, `walk_per_page`, `stop_before`, `walk_newest`, `resume` = true), so a
long backfill commits in chunks; `sync_wahoo` loops until the walk is done or the day's request budget is spent. Workouts
created while a walk is paused push older ones to later pages: the walk reads those again (merge on `id`
makes that harmless) and skips none. Requests are paced at Wahoo's documented per-app limits (200 / 5 min,
1,000 / hour, 5,000 / day) by the shared limiter; a 429 waits for `Retry-After` in the shared client.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import dlt
import httpx

from ingestion.auth.http import ApiClient
from ingestion.auth.oauth import TokenManager
from ingestion.auth.ratelimit import RateLimitExhausted, WindowedRateLimiter
from ingestion.auth.rows import PAYLOAD_COLUMNS, raw_row
from ingestion.auth.tokens import TokenStore, remember_provider_user_id
from ingestion.pipelines import sync_provider
from ingestion.sources.wahoo.settings import WahooSettings
from openfit.settings import get_settings

log = logging.getLogger(__name__)
SOURCE = "wahoo"
USER_PATH = "/v1/user"
WORKOUTS_PATH = "/v1/workouts"


def make_client(settings: WahooSettings, athlete: str, store: TokenStore | None = None) -> ApiClient:
    """The paced, token-refreshing API client for one athlete."""
    store = store or TokenStore.from_settings()
    tokens = TokenManager(settings.oauth_config(), store, athlete)
    return ApiClient(settings.api_base_url, tokens, _app_limiter(settings))


# Wahoo's limits are per app: every athlete's client in this process shares one limiter per configuration.
_LIMITERS: dict[tuple[Any, ...], WindowedRateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def _app_limiter(settings: WahooSettings) -> WindowedRateLimiter:
    windows = (settings.rate_window_short_s, settings.rate_window_hour_s, settings.rate_window_long_s)
    limits = (settings.rate_limit_short, settings.rate_limit_hour, settings.rate_limit_long)
    key = (settings.api_base_url, windows, limits, settings.max_rate_wait_s)
    with _LIMITERS_LOCK:
        if key not in _LIMITERS:
            # Wahoo's X-RateLimit-Limit / -Remaining list day, hour and 5-minute values in that order, which
            # the limiter's Strava-style (short first, usage) header reading would misassign: pace at the
            # documented limits instead (the header pair ("", "") is never sent, so no header is read).
            _LIMITERS[key] = WindowedRateLimiter(
                header_pairs=(("", ""),),
                window_lengths_s=windows,
                known_limits=limits,
                max_wait_s=settings.max_rate_wait_s,
            )
        return _LIMITERS[key]


def _parse_instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _fit_folder(settings: WahooSettings, athlete: str) -> Path | None:
    """Where this athlete's FIT files go (the inbox, which the files import reads), or None: not wanted, or
    imported files belong to another athlete (OpenFit's files carry no athlete of their own)."""
    if not settings.download_fit_files:
        return None
    openfit = get_settings()
    if openfit.files_athlete_id != athlete:
        log.warning(
            "wahoo %s: FIT files not downloaded: imported files belong to %r (OPENFIT_FILES_ATHLETE_ID)",
            athlete,
            openfit.files_athlete_id,
        )
        return None
    return openfit.inbox_dir / "wahoo" / athlete


def _download_fit_files(workouts: list[dict[str, Any]], folder: Path, limiter: WindowedRateLimiter) -> None:
    """Fetch each summary's `file.url` into `folder` once per summary version (`<id>-<updated_at>.fit`).

    The URL names a file host, not the API: no bearer token is sent. Wahoo documents no limits for it, so the
    downloads are paced with the API's requests (the safe reading). A failed download is logged and skipped;
    the summary is loaded all the same, and the look-back of a later sync tries recent files again."""
    for doc in workouts:
        summary = doc.get("workout_summary") or {}
        url = (summary.get("file") or {}).get("url")
        if not url:
            continue
        version = re.sub(r"\D", "", str(summary.get("updated_at") or ""))
        target = folder / f"{doc['id']}-{version}.fit"
        if target.exists():
            continue
        reservation = limiter.acquire()
        try:
            response = httpx.get(url, follow_redirects=True, timeout=60)
        except httpx.HTTPError as exc:
            log.warning("wahoo workout %s: FIT file download failed (%s)", doc["id"], type(exc).__name__)
            continue
        finally:
            limiter.release(reservation, None)
        if response.status_code != 200 or not response.content:
            log.warning(
                "wahoo workout %s: FIT file download answered HTTP %d", doc["id"], response.status_code
            )
            continue
        # written beside the inbox and moved in whole, so an import never reads half a file
        partial = get_settings().home_dir / "downloads" / f"wahoo-{doc['id']}-{version}.fit.part"
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(response.content)
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(partial, target)


def _walk_start(state: dict[str, Any], settings: WahooSettings) -> tuple[int, int, str, str | None]:
    """(first page, page size, stop line, newest start seen so far) of this run's walk. A resumed walk keeps
    the page size it started with: page N of another size would skip or repeat workouts."""
    if state.get("resume") and state.get("next_page"):
        per_page = int(state.get("walk_per_page") or settings.per_page)
        return int(state["next_page"]), per_page, state["stop_before"], state.get("walk_newest")
    if state.get("newest_starts"):
        stop = _parse_instant(state["newest_starts"]) - timedelta(days=settings.lookback_days)
    else:
        stop = datetime.combine(settings.backfill_since, time.min, tzinfo=UTC)
    return 1, settings.per_page, _instant(stop), None


def _later(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return a if _parse_instant(a) >= _parse_instant(b) else b


@dlt.source(name="wahoo", max_table_nesting=0)
def wahoo_source(
    athlete: str = "me",
    settings: WahooSettings | None = None,
    client: ApiClient | None = None,
    collections: tuple[str, ...] | None = None,
) -> Any:
    """Build the Wahoo source for one OpenFit athlete."""
    settings = settings or WahooSettings()
    client = client or make_client(settings, athlete)

    @dlt.resource(name="user", primary_key="athlete", write_disposition="merge", columns=PAYLOAD_COLUMNS)
    def user() -> Iterator[dict[str, Any]]:
        try:
            payload = client.get_json(USER_PATH)
        except RateLimitExhausted as exc:
            log.warning("wahoo user: rate limit exhausted (%s); skipped this time", exc)
            return
        remember_provider_user_id(SOURCE, athlete, payload.get("id"))
        yield raw_row(SOURCE, payload, athlete=athlete, user_id=payload.get("id"))

    @dlt.resource(name="workout", primary_key="id", write_disposition="merge", columns=PAYLOAD_COLUMNS)
    def workout() -> Iterator[list[dict[str, Any]]]:
        state = dlt.current.resource_state().setdefault(athlete, {})  # per athlete
        fit_folder = _fit_folder(settings, athlete)
        page, per_page, stop_before, newest = _walk_start(state, settings)
        paused = {"next_page": page, "walk_per_page": per_page, "stop_before": stop_before}
        stop = _parse_instant(stop_before)
        done = False
        try:
            for _ in range(settings.pages_per_run):
                body = client.get_json(WORKOUTS_PATH, {"page": page, "per_page": per_page})
                workouts = body.get("workouts") or []
                kept = [w for w in workouts if w.get("starts") and _parse_instant(w["starts"]) >= stop]
                for doc in kept:
                    # only completed workouts move the stop line: a planned one may start in the future
                    if doc.get("workout_summary"):
                        newest = _later(newest, doc["starts"])
                if kept:
                    yield [
                        raw_row(SOURCE, doc, id=doc["id"], starts=doc["starts"], athlete=athlete)
                        for doc in kept
                    ]
                    if fit_folder is not None:
                        _download_fit_files(kept, fit_folder, client.limiter)
                total = int(body.get("total") or 0)
                # Newest first: a page reaching past the stop line, or the last page, ends the walk.
                done = not workouts or len(kept) < len(workouts) or page * per_page >= total
                page += 1
                if done:
                    break
        except RateLimitExhausted as exc:
            log.warning("wahoo workout: rate limit exhausted (%s); progress kept, resume later", exc)
            state.update(paused, resume=True, exhausted=True, next_page=page, walk_newest=newest)
            return
        state["exhausted"] = False
        if done:
            state["newest_starts"] = _later(state.get("newest_starts"), newest)
            state.update(resume=False, next_page=None, walk_per_page=None, stop_before=None, walk_newest=None)
        else:
            state.update(paused, resume=True, next_page=page, walk_newest=newest)

    resources = [user, workout]
    if collections:
        resources = [r for r in resources if r.name in collections]
    return resources


def sync_wahoo(
    pipeline: dlt.Pipeline,
    athlete: str = "me",
    settings: WahooSettings | None = None,
    client: ApiClient | None = None,
    max_runs: int = 1000,
    on_chunk: Callable[[dict[str, Any]], None] | None = None,
    **source_kwargs: Any,
) -> dict[str, Any]:
    """Run chunk after chunk until the workout walk is done (or the daily budget is spent). Returns a summary;
    `on_chunk` receives the summary so far after every chunk (the orchestrator's progress report)."""
    settings = settings or WahooSettings()
    return sync_provider(
        pipeline,
        athlete,
        client,
        lambda: make_client(settings, athlete),
        lambda client: wahoo_source(athlete=athlete, settings=settings, client=client, **source_kwargs),
        max_runs,
        on_chunk,
    )
