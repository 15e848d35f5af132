"""The Withings dlt source: body measures (measure getmeas), daily activity (measure v2 getactivity), sleep
summaries (sleep v2 getsummary) and workouts (measure v2 getworkouts). Raw documents verbatim in `payload`.

Every Withings call is a form POST to a service URL with an `action` field; the answer is HTTP 200 with
`{"status": <code>, "body": {...}}`, errors included. :func:`body_status` maps the body's status to the HTTP
status it stands for, so the shared ApiClient waits on 601 (too many requests) as on a 429, refreshes on 401
and backs off on transient errors. Pages carry `more` and `offset` (ask again with `offset` while `more`).

Incremental loading per resource and athlete (resource state):
- backfill: date windows of `window_days` from `backfill_since` to today (`startdate`/`enddate` epoch s for
  getmeas, `startdateymd`/`enddateymd` for the v2 actions); state `next_day`; after `windows_per_run` windows
  the run ends with `resume` = true and :func:`sync_withings` starts another load, so a long history commits
  in chunks and a killed backfill resumes at the last committed window.
- afterwards: `lastupdate` = the cursor minus `lookback_s` (every document created or changed since); the
  cursor becomes the time the run started (state `lastupdate`, epoch s).
Merge keys (athlete + Withings id; daily activity: athlete + date + device) make re-reads change nothing.
"""

from __future__ import annotations

import logging
import time as clock
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import dlt

from ingestion.auth.http import ApiClient
from ingestion.auth.oauth import TokenManager
from ingestion.auth.ratelimit import FixedWindowRateLimiter
from ingestion.auth.rows import PAYLOAD_COLUMNS, raw_row
from ingestion.auth.tokens import TokenStore
from ingestion.pipelines import sync_provider
from ingestion.sources.withings.settings import WithingsSettings

log = logging.getLogger(__name__)
SOURCE = "withings"

# Withings body status -> the HTTP status it stands for (developer.withings.com/api-reference, "Response
# status"). 0 is success; 100-102, 200 and 401 are authentication failures; 601 is "too many requests";
# 2555 "unknown error" and 522 "timeout" are worth a retry; anything else (503 invalid params, 2554 unknown
# action, 286 no such subscription, ...) is the request's fault.
AUTH_STATUSES = frozenset({100, 101, 102, 200, 401})
RETRY_STATUSES = frozenset({522, 2553, 2555})

# Fields asked for explicitly (Withings returns only some by default).
ACTIVITY_FIELDS = (
    "steps,distance,elevation,soft,moderate,intense,active,calories,totalcalories,"
    "hr_average,hr_min,hr_max,hr_zone_0,hr_zone_1,hr_zone_2,hr_zone_3"
)
SLEEP_FIELDS = (
    "breathing_disturbances_intensity,deepsleepduration,durationtosleep,durationtowakeup,hr_average,hr_max,"
    "hr_min,lightsleepduration,remsleepduration,rr_average,rr_max,rr_min,sleep_score,snoring,"
    "snoringepisodecount,wakeupcount,wakeupduration,total_sleep_time,total_timeinbed,sleep_efficiency,"
    "sleep_latency,wakeup_latency,waso,nb_rem_episodes,out_of_bed_count,apnea_hypopnea_index"
)
WORKOUT_FIELDS = (
    "calories,intensity,manual_distance,manual_calories,hr_average,hr_min,hr_max,hr_zone_0,hr_zone_1,"
    "hr_zone_2,hr_zone_3,pause_duration,algo_pause_duration,spo2_average,steps,distance,elevation"
)


def body_status(body: Any) -> int:
    """The HTTP status a Withings answer stands for (it is always sent as HTTP 200)."""
    status = body.get("status") if isinstance(body, dict) else None
    if status == 0:
        return 200
    if status in AUTH_STATUSES:
        return 401
    if status == 601:
        return 429
    if status in RETRY_STATUSES:
        return 503
    return 400


def make_client(settings: WithingsSettings, athlete: str, store: TokenStore | None = None) -> ApiClient:
    """The paced, token-refreshing API client for one athlete (Withings: 120 requests per minute)."""
    store = store or TokenStore.from_settings()
    tokens = TokenManager(settings.oauth_config(), store, athlete)
    limiter = FixedWindowRateLimiter(
        settings.rate_limit, settings.rate_window_s, max_wait_s=settings.max_rate_wait_s
    )
    return ApiClient(settings.api_base_url, tokens, limiter, body_status=body_status)


def _epoch(day: date) -> int:
    return int(datetime.combine(day, time.min, tzinfo=UTC).timestamp())


@dataclass(frozen=True)
class _Endpoint:
    """One Withings action: its table, service path, list key, and whether it takes days (`...ymd`) or epochs."""

    table: str
    path: str
    action: str
    items: str
    ymd: bool
    fields: str | None

    def window_params(self, start: date, end: date) -> dict[str, Any]:
        if self.ymd:
            return {"startdateymd": start.isoformat(), "enddateymd": end.isoformat()}
        # getmeas takes epoch seconds; the window covers whole UTC days
        return {"startdate": _epoch(start), "enddate": _epoch(end + timedelta(days=1)) - 1}

    def base_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"action": self.action}
        if self.fields:
            params["data_fields"] = self.fields
        if self.table == "measure_groups":
            params["category"] = 1  # real measures, not user objectives
        return params


ENDPOINTS = (
    _Endpoint("measure_groups", "/measure", "getmeas", "measuregrps", ymd=False, fields=None),
    _Endpoint("activity", "/v2/measure", "getactivity", "activities", ymd=True, fields=ACTIVITY_FIELDS),
    _Endpoint("sleep_summary", "/v2/sleep", "getsummary", "series", ymd=True, fields=SLEEP_FIELDS),
    _Endpoint("workouts", "/v2/measure", "getworkouts", "series", ymd=True, fields=WORKOUT_FIELDS),
)


def _pages(client: ApiClient, endpoint: _Endpoint, params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
    """Follow `more`/`offset` until Withings says there is no more."""
    offset: Any = None
    while True:
        form = {**endpoint.base_params(), **params}
        if offset:
            form["offset"] = offset
        body = client.post_json(endpoint.path, form).get("body") or {}
        yield body.get(endpoint.items) or []
        offset = body.get("offset")
        if not body.get("more") or not offset:
            return


def _row(endpoint: _Endpoint, doc: dict[str, Any], athlete: str) -> dict[str, Any]:
    if endpoint.table == "measure_groups":
        key = str(doc["grpid"])
        day = datetime.fromtimestamp(doc["date"], UTC).date().isoformat()
    elif endpoint.table == "activity":
        # one summary per day and device (the aggregate over all devices has no device id)
        key = f"{doc['date']}:{doc.get('hash_deviceid') or doc.get('deviceid') or 'aggregate'}"
        day = doc["date"]
    else:
        key = str(doc["id"])
        day = doc.get("date")
    return raw_row(SOURCE, doc, id=key, athlete=athlete, day=day, modified=doc.get("modified"))


def _windows(state: dict[str, Any], settings: WithingsSettings, today: date) -> list[tuple[date, date]]:
    start = date.fromisoformat(state["next_day"]) if state.get("next_day") else settings.backfill_since
    windows = []
    while start <= today and len(windows) < settings.windows_per_run:
        end = min(today, start + timedelta(days=settings.window_days - 1))
        windows.append((start, end))
        start = end + timedelta(days=1)
    return windows


@dlt.source(name="withings", max_table_nesting=0)
def withings_source(
    athlete: str = "me",
    settings: WithingsSettings | None = None,
    client: ApiClient | None = None,
    today: date | None = None,
    now: Callable[[], float] = clock.time,
    resources: tuple[str, ...] | None = None,
) -> Any:
    """Build the Withings source for one OpenFit athlete. `today` fixes the last backfill day (tests)."""
    settings = settings or WithingsSettings()
    client = client or make_client(settings, athlete)
    last_day = today or datetime.now(UTC).date()

    def resource(endpoint: _Endpoint) -> Any:
        @dlt.resource(
            name=endpoint.table,
            primary_key=("athlete", "id"),
            write_disposition="merge",
            columns=PAYLOAD_COLUMNS,
        )
        def documents() -> Iterator[list[dict[str, Any]]]:
            state = dlt.current.resource_state().setdefault(athlete, {})  # per athlete
            started = int(now())
            if state.get("lastupdate") is not None:  # caught up: everything changed since the cursor
                since = max(0, int(state["lastupdate"]) - settings.lookback_s)
                for page in _pages(client, endpoint, {"lastupdate": since}):
                    if page:
                        yield [_row(endpoint, doc, athlete) for doc in page]
                state["lastupdate"] = started
                state["resume"] = False
                return
            # backfill: the cursor for afterwards is when the backfill began (later changes are re-read)
            state.setdefault("backfill_started", started)
            windows = _windows(state, settings, last_day)
            for start, end in windows:
                for page in _pages(client, endpoint, endpoint.window_params(start, end)):
                    if page:
                        yield [_row(endpoint, doc, athlete) for doc in page]
                state["next_day"] = (end + timedelta(days=1)).isoformat()
            caught_up = not windows or date.fromisoformat(state["next_day"]) > last_day
            if caught_up:
                state["lastupdate"] = state.pop("backfill_started")
            state["resume"] = not caught_up

        return documents

    selected = [resource(e) for e in ENDPOINTS]
    if resources:
        selected = [r for r in selected if r.name in resources]
    return selected


def sync_withings(
    pipeline: dlt.Pipeline,
    athlete: str = "me",
    settings: WithingsSettings | None = None,
    client: ApiClient | None = None,
    max_runs: int = 1000,
    on_chunk: Callable[[dict[str, Any]], None] | None = None,
    **source_kwargs: Any,
) -> dict[str, Any]:
    """Run chunk after chunk until every resource has caught up. Returns a summary; `on_chunk` receives the
    summary so far after every chunk (the orchestrator's progress report)."""
    settings = settings or WithingsSettings()
    return sync_provider(
        pipeline,
        athlete,
        client,
        lambda: make_client(settings, athlete),
        lambda client: withings_source(athlete=athlete, settings=settings, client=client, **source_kwargs),
        max_runs,
        on_chunk,
    )
