"""The Polar AccessLink v3 dlt source: the registered user, exercises (with samples, heart-rate zones and
route), sleep, Nightly Recharge, daily activity and continuous heart rate. Raw documents verbatim in `payload`.

AccessLink serves only what reached Polar Flow after the user registered with the app, and its lists are
rolling windows: `/v3/exercises` the last 30 days of uploads, `/v3/users/sleep` and `/v3/users/nightly-recharge`
the last 28 nights. Those three are read whole on every sync (one request each) and merged on their keys, so a
sync at least every 28 days misses nothing; older nights and exercises cannot be fetched. Daily activity
(`/v3/users/activities?from&to`) and continuous heart rate (`/v3/users/continuous-heart-rate?from&to`) take
date ranges of at most 28 days, `from` at most 365 days back: they are walked with `day_windows` from the later
of the registration date and `backfill_days` ago, `windows_per_run` windows per dlt load (state `next_day`,
`resume`), so a backfill commits in chunks and `sync_polar` loops until every collection has reached today.
Requests are paced at Polar's per-app limits (500 + 20 x users per 15 minutes, 5,000 + 100 x users per day),
adopting the RateLimit-Limit / RateLimit-Usage headers Polar sends; a 429 waits for `Retry-After`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import dlt
import httpx

from ingestion.auth.http import ApiClient
from ingestion.auth.oauth import TokenManager
from ingestion.auth.ratelimit import RateLimitExhausted, WindowedRateLimiter
from ingestion.auth.rows import PAYLOAD_COLUMNS, raw_row
from ingestion.auth.tokens import TokenStore
from ingestion.pipelines import day_windows, sync_provider
from ingestion.sources.polar.settings import PolarSettings
from openfit.settings import get_settings

log = logging.getLogger(__name__)
SOURCE = "polar"
EXERCISES_PATH = "/v3/exercises"
SLEEP_PATH = "/v3/users/sleep"
RECHARGE_PATH = "/v3/users/nightly-recharge"
ACTIVITIES_PATH = "/v3/users/activities"
HEART_RATE_PATH = "/v3/users/continuous-heart-rate"
# date-range collections: table -> path
RANGED = {"activity": ACTIVITIES_PATH, "continuous_heart_rate": HEART_RATE_PATH}


def make_client(settings: PolarSettings, athlete: str, store: TokenStore | None = None) -> ApiClient:
    """The paced API client for one athlete (Polar tokens do not expire for years and have no refresh)."""
    store = store or TokenStore.from_settings()
    tokens = TokenManager(settings.oauth_config(), store, athlete)
    users = max(1, len(store.athletes(SOURCE)))
    return ApiClient(settings.api_base_url, tokens, _app_limiter(settings, users))


# AccessLink's limits are per client app: every athlete's client in this process shares one limiter.
_LIMITERS: dict[tuple[Any, ...], WindowedRateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def _app_limiter(settings: PolarSettings, users: int) -> WindowedRateLimiter:
    windows = (settings.rate_window_short_s, settings.rate_window_long_s)
    limits = settings.rate_limits(users)
    key = (settings.api_base_url, windows, limits, settings.max_rate_wait_s)
    with _LIMITERS_LOCK:
        if key not in _LIMITERS:
            # Polar's headers are Strava-style comma pairs (short term, long term): the limiter adopts the
            # server's limit and usage, which also counts other processes of the same app.
            _LIMITERS[key] = WindowedRateLimiter(
                header_pairs=(("RateLimit-Limit", "RateLimit-Usage"),),
                window_lengths_s=windows,
                known_limits=limits,
                max_wait_s=settings.max_rate_wait_s,
            )
        return _LIMITERS[key]


def _get(client: ApiClient, path: str, params: dict[str, Any] | None = None) -> Any:
    """The JSON answer, or None for an empty one (AccessLink answers 204 No Content when there is no data)."""
    try:
        return client.get_json(path, params)
    except ValueError:  # an empty body is no JSON document
        return None


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _fit_folder(settings: PolarSettings, athlete: str) -> Path | None:
    """Where this athlete's FIT files go (the inbox the files import reads), or None: not wanted, or imported
    files belong to another athlete (OpenFit's files carry no athlete of their own)."""
    if not settings.download_fit_files:
        return None
    openfit = get_settings()
    if openfit.files_athlete_id != athlete:
        log.warning(
            "polar %s: FIT files not downloaded: imported files belong to %r (OPENFIT_FILES_ATHLETE_ID)",
            athlete,
            openfit.files_athlete_id,
        )
        return None
    return openfit.inbox_dir / "polar" / athlete


def _download_fit_files(client: ApiClient, exercises: list[dict[str, Any]], folder: Path) -> None:
    """Fetch `/v3/exercises/{id}/fit` into `folder` once per exercise (`<id>.fit`; an exercise does not change
    once uploaded). Paced with the API's requests; a failed download is logged and tried again next sync
    while the exercise is in the 30-day list."""
    for doc in exercises:
        target = folder / f"{doc['id']}.fit"
        if target.exists():
            continue
        reservation = client.limiter.acquire()
        response = None
        try:
            response = httpx.get(
                f"{client.base_url}{EXERCISES_PATH}/{doc['id']}/fit",
                headers={"Authorization": f"Bearer {client.tokens.access_token()}", "Accept": "*/*"},
                timeout=60,
            )
        except httpx.HTTPError as exc:
            log.warning("polar exercise %s: FIT download failed (%s)", doc["id"], type(exc).__name__)
            continue
        finally:
            client.limiter.release(reservation, response.headers if response is not None else None)
        if response.status_code != 200 or not response.content:
            log.warning("polar exercise %s: FIT download answered HTTP %d", doc["id"], response.status_code)
            continue
        # written beside the inbox and moved in whole, so an import never reads half a file
        partial = get_settings().home_dir / "downloads" / f"polar-{doc['id']}.fit.part"
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(response.content)
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(partial, target)


def _day(value: Any) -> str | None:
    return str(value)[:10] if value else None


def _heart_rate_days(body: Any) -> list[dict[str, Any]]:
    """Continuous heart rate by range: the document declares one `continuous-heartrate` object (date +
    samples); a range spans several dates, so a list of such objects, or an object holding one, is read too."""
    if body is None:
        return []
    if isinstance(body, list):
        return [d for d in body if isinstance(d, dict) and d.get("date")]
    if isinstance(body, dict):
        if body.get("date"):
            return [body]
        for value in body.values():
            if isinstance(value, list):
                return [d for d in value if isinstance(d, dict) and d.get("date")]
    return []


@dlt.source(name="polar", max_table_nesting=0)
def polar_source(
    athlete: str = "me",
    settings: PolarSettings | None = None,
    client: ApiClient | None = None,
    today: date | None = None,
    collections: tuple[str, ...] | None = None,
    store: TokenStore | None = None,
) -> Any:
    """Build the Polar source for one OpenFit athlete. `today` fixes the last day asked for (tests)."""
    settings = settings or PolarSettings()
    client = client or make_client(settings, athlete, store)
    last_day = today or datetime.now(UTC).date()
    polar_user_id = (store or TokenStore.from_settings()).provider_user_id(SOURCE, athlete)
    user_doc: dict[
        str, Any
    ] = {}  # the user's document, read once per run (its registration date bounds walks)

    def user_info() -> dict[str, Any]:
        if not user_doc and polar_user_id:
            user_doc.update(_get(client, f"/v3/users/{polar_user_id}") or {})
        return user_doc

    def first_day() -> date:
        oldest = last_day - timedelta(days=settings.backfill_days - 1)
        registered = _day(user_info().get("registration-date"))
        return max(oldest, date.fromisoformat(registered)) if registered else oldest

    @dlt.resource(name="user", primary_key="athlete", write_disposition="merge", columns=PAYLOAD_COLUMNS)
    def user() -> Iterator[dict[str, Any]]:
        try:
            payload = user_info()
        except RateLimitExhausted as exc:
            log.warning("polar user: rate limit exhausted (%s); skipped this time", exc)
            return
        if payload:
            yield raw_row(SOURCE, payload, athlete=athlete, user_id=payload.get("polar-user-id"))

    @dlt.resource(name="exercise", primary_key="id", write_disposition="merge", columns=PAYLOAD_COLUMNS)
    def exercise() -> Iterator[list[dict[str, Any]]]:
        params = {
            "samples": _flag(settings.exercise_samples),
            "zones": _flag(settings.exercise_zones),
            "route": _flag(settings.exercise_route),
        }
        try:
            docs = _get(client, EXERCISES_PATH, params) or []
        except RateLimitExhausted as exc:
            log.warning("polar exercise: rate limit exhausted (%s); read next sync", exc)
            dlt.current.resource_state().setdefault(athlete, {})["exhausted"] = True
            return
        dlt.current.resource_state().setdefault(athlete, {})["exhausted"] = False
        if docs:
            yield [
                raw_row(SOURCE, doc, id=doc["id"], start_time=doc.get("start_time"), athlete=athlete)
                for doc in docs
            ]
            folder = _fit_folder(settings, athlete)
            if folder is not None:
                _download_fit_files(client, docs, folder)

    def nightly_resource(table: str, path: str, list_key: str) -> Any:
        @dlt.resource(
            name=table, primary_key=("athlete", "date"), write_disposition="merge", columns=PAYLOAD_COLUMNS
        )
        def nights() -> Iterator[list[dict[str, Any]]]:
            state = dlt.current.resource_state().setdefault(athlete, {})
            try:
                body = _get(client, path) or {}
            except RateLimitExhausted as exc:
                log.warning("polar %s: rate limit exhausted (%s); read next sync", table, exc)
                state["exhausted"] = True
                return
            state["exhausted"] = False
            docs = [d for d in body.get(list_key) or [] if d.get("date")]
            if docs:
                yield [raw_row(SOURCE, doc, athlete=athlete, date=doc["date"]) for doc in docs]

        return nights

    def ranged_resource(table: str, path: str) -> Any:
        def _days(body: Any) -> list[dict[str, Any]]:
            if table == "continuous_heart_rate":
                return _heart_rate_days(body)
            # daily activity: one summary per day, its day is the date of its start (device time)
            return [d for d in body or [] if isinstance(d, dict) and _day(d.get("start_time"))]

        def _date_of(doc: dict[str, Any]) -> str:
            return str(doc["date"]) if table == "continuous_heart_rate" else str(_day(doc["start_time"]))

        @dlt.resource(
            name=table, primary_key=("athlete", "date"), write_disposition="merge", columns=PAYLOAD_COLUMNS
        )
        def days() -> Iterator[list[dict[str, Any]]]:
            state = dlt.current.resource_state().setdefault(athlete, {})  # per athlete
            try:
                bounds = SimpleNamespace(
                    backfill_since=first_day(),
                    lookback_days=settings.lookback_days,
                    window_days=settings.window_days,
                    windows_per_run=settings.windows_per_run,
                )
                windows = day_windows(state, bounds, last_day)
                if state.get("next_day") and windows and windows[0][0] < bounds.backfill_since:
                    windows[0] = (bounds.backfill_since, windows[0][1])  # never before 365 days ago
                for start, end in windows:
                    params: dict[str, Any] = {"from": start.isoformat(), "to": end.isoformat()}
                    if table == "activity":
                        params["steps"] = "true"
                    docs = _days(_get(client, path, params))
                    if docs:
                        yield [raw_row(SOURCE, doc, athlete=athlete, date=_date_of(doc)) for doc in docs]
                    state["next_day"] = (end + timedelta(days=1)).isoformat()
            except RateLimitExhausted as exc:
                log.warning("polar %s: rate limit exhausted (%s); progress kept, resume later", table, exc)
                state["resume"] = True
                state["exhausted"] = True
                return
            state["exhausted"] = False
            state["resume"] = bool(windows) and date.fromisoformat(state["next_day"]) <= last_day

        return days

    resources = [
        user,
        exercise,
        nightly_resource("sleep", SLEEP_PATH, "nights"),
        nightly_resource("nightly_recharge", RECHARGE_PATH, "recharges"),
        *(ranged_resource(table, path) for table, path in RANGED.items()),
    ]
    if collections:
        resources = [r for r in resources if r.name in collections]
    return resources


def sync_polar(
    pipeline: dlt.Pipeline,
    athlete: str = "me",
    settings: PolarSettings | None = None,
    client: ApiClient | None = None,
    max_runs: int = 1000,
    on_chunk: Callable[[dict[str, Any]], None] | None = None,
    **source_kwargs: Any,
) -> dict[str, Any]:
    """Run chunk after chunk until every collection has reached today (or the daily budget is spent).
    Returns a summary; `on_chunk` receives the summary so far after every chunk (the orchestrator's progress
    report)."""
    settings = settings or PolarSettings()
    return sync_provider(
        pipeline,
        athlete,
        client,
        lambda: make_client(settings, athlete),
        lambda client: polar_source(athlete=athlete, settings=settings, client=client, **source_kwargs),
        max_runs,
        on_chunk,
    )
