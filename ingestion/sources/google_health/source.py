"""The Google Health API (health:v4) dlt source: one raw table per data type, raw data points verbatim in
`payload`, plus the identity and the paired devices.

Data points come from `users.dataTypes.dataPoints.list` (GET `v4/users/me/dataTypes/{type}/dataPoints`) or,
where Google merges overlapping sources into one stream, `...:reconcile` (steps, so a phone and a watch
counting the same walk are not added up; reconciled points carry no data source). Each request carries an AIP-160 `filter` on
the data type's time field (a window of days, end exclusive) and follows `nextPageToken` with `pageSize`
(exercise and sleep at most 25, others up to 10,000).

Incremental loading per data type and athlete, as the WHOOP source does: resource state keeps `next_day`, the
first day not yet fully loaded; a run walks `window_days` windows from `next_day - lookback_days` up to today
and stops after `windows_per_run` windows (state `resume`), so a long backfill commits in chunks;
`sync_google_health` loops until every data type has caught up or the day's request budget is spent. Merge
keys (the data point's resource `name`, or for unnamed points a digest of type, time and data source) make
re-reads harmless. Requests are paced by the shared limiter; a 429 waits for `Retry-After` in the shared
client.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import dlt

from ingestion.auth.http import ApiClient
from ingestion.auth.oauth import TokenManager
from ingestion.auth.ratelimit import RateLimitExhausted, WindowedRateLimiter
from ingestion.auth.rows import PAYLOAD_COLUMNS, raw_row
from ingestion.auth.tokens import TokenStore, remember_provider_user_id
from ingestion.pipelines import day_windows, sync_provider
from ingestion.sources.google_health.settings import GoogleHealthSettings

log = logging.getLogger(__name__)
SOURCE = "google_health"

# How a data type is filtered by time (the field patterns of the `filter` parameter in the discovery document).
FilterKind = Literal["session_civil_start", "sleep_end", "interval_start", "sample_time", "date"]


@dataclass(frozen=True)
class DataType:
    """One `users/{user}/dataTypes/{data_type}` collection and how we read it."""

    data_type: str  # the kebab-case id in the resource path, e.g. `daily-resting-heart-rate`
    method: Literal["list", "reconcile"]
    filter_kind: FilterKind
    session: bool = False  # exercise and sleep: pageSize at most 25

    @property
    def field(self) -> str:
        """The snake_case name of the filter expressions (`daily_resting_heart_rate.date`)."""
        return self.data_type.replace("-", "_")

    @property
    def payload_key(self) -> str:
        """The camelCase member of the DataPoint union that holds the value (`dailyRestingHeartRate`)."""
        head, *rest = self.data_type.split("-")
        return head + "".join(part.title() for part in rest)

    @property
    def path(self) -> str:
        suffix = ":reconcile" if self.method == "reconcile" else ""
        return f"/v4/users/me/dataTypes/{self.data_type}/dataPoints{suffix}"


# raw table -> data type
DATA_TYPES: dict[str, DataType] = {
    "exercise": DataType("exercise", "list", "session_civil_start", session=True),
    # sleep by `list`: reconciled points carry no data source, and the device is what source priority needs
    "sleep": DataType("sleep", "list", "sleep_end", session=True),
    "steps": DataType("steps", "reconcile", "interval_start"),
    "heart_rate": DataType("heart-rate", "list", "sample_time"),
    "daily_heart_rate_variability": DataType("daily-heart-rate-variability", "list", "date"),
    "daily_resting_heart_rate": DataType("daily-resting-heart-rate", "list", "date"),
    "daily_oxygen_saturation": DataType("daily-oxygen-saturation", "list", "date"),
    "weight": DataType("weight", "list", "sample_time"),
    "body_fat": DataType("body-fat", "list", "sample_time"),
}


def make_client(settings: GoogleHealthSettings, athlete: str, store: TokenStore | None = None) -> ApiClient:
    """The paced, token-refreshing API client for one athlete."""
    store = store or TokenStore.from_settings()
    tokens = TokenManager(settings.oauth_config(), store, athlete)
    # Google sends no rate-limit usage headers: pace at the configured limits from the first request on.
    limiter = WindowedRateLimiter(
        header_pairs=(("X-RateLimit-Limit", "X-RateLimit-Usage"),),
        window_lengths_s=(settings.rate_window_short_s, settings.rate_window_long_s),
        known_limits=(settings.rate_limit_short, settings.rate_limit_long),
        max_wait_s=settings.max_rate_wait_s,
    )
    return ApiClient(settings.api_base_url, tokens, limiter)


def _instant(day: date) -> str:
    return datetime.combine(day, time.min, tzinfo=UTC).isoformat().replace("+00:00", "Z")


def time_filter(spec: DataType, start: date, end: date) -> str:
    """The AIP-160 filter for data points of `spec` in the days [start, end)."""
    if spec.filter_kind == "session_civil_start":
        field, low, high = f"{spec.field}.interval.civil_start_time", start.isoformat(), end.isoformat()
    elif spec.filter_kind == "sleep_end":
        field, low, high = f"{spec.field}.interval.end_time", _instant(start), _instant(end)
    elif spec.filter_kind == "interval_start":
        field, low, high = f"{spec.field}.interval.start_time", _instant(start), _instant(end)
    elif spec.filter_kind == "sample_time":
        field, low, high = f"{spec.field}.sample_time.physical_time", _instant(start), _instant(end)
    else:  # daily summaries: the civil date
        field, low, high = f"{spec.field}.date", start.isoformat(), end.isoformat()
    return f'{field} >= "{low}" AND {field} < "{high}"'


def point_time(spec: DataType, doc: dict[str, Any]) -> Any:
    """The time that identifies an unnamed data point: sample time, interval start, or the civil date."""
    value = doc.get(spec.payload_key) or {}
    if "sampleTime" in value:
        return (value["sampleTime"] or {}).get("physicalTime")
    if "interval" in value:
        interval = value["interval"] or {}
        return [interval.get("startTime"), interval.get("endTime")]
    return value.get("date")


def point_id(spec: DataType, athlete: str, doc: dict[str, Any]) -> str:
    """The merge key: the data point's resource `name` where Google names it (exercise, sleep); otherwise a
    digest of athlete, data type, time and data source, so a re-read replaces the point instead of adding a
    copy while two devices' points at one instant stay apart."""
    name = doc.get("name") or doc.get("dataPointName")
    if name:
        return str(name)
    key = json.dumps(
        [athlete, spec.data_type, point_time(spec, doc), doc.get("dataSource")],
        sort_keys=True,
        separators=(",", ":"),
    )
    return f"{spec.data_type}:{hashlib.sha1(key.encode()).hexdigest()}"


def _paginate(
    client: ApiClient, path: str, params: dict[str, Any], items_key: str = "dataPoints"
) -> Iterator[list[dict[str, Any]]]:
    token: str | None = None
    while True:
        query = dict(params)
        if token:
            query["pageToken"] = token
        page = client.get_json(path, query)
        yield page.get(items_key) or []
        token = page.get("nextPageToken")
        if not token:
            return


@dlt.source(name="google_health", max_table_nesting=0)
def google_health_source(
    athlete: str = "me",
    settings: GoogleHealthSettings | None = None,
    client: ApiClient | None = None,
    today: date | None = None,
    collections: tuple[str, ...] | None = None,
) -> Any:
    """Build the Google Health source for one OpenFit athlete. `today` fixes the last day asked for (tests)."""
    settings = settings or GoogleHealthSettings()
    client = client or make_client(settings, athlete)
    last_day = today or datetime.now(UTC).date()

    @dlt.resource(name="identity", primary_key="athlete", write_disposition="merge", columns=PAYLOAD_COLUMNS)
    def identity() -> Iterator[dict[str, Any]]:
        try:
            payload = client.get_json("/v4/users/me/identity")
        except RateLimitExhausted as exc:
            log.warning("google_health identity: rate limit exhausted (%s); skipped this time", exc)
            return
        remember_provider_user_id(SOURCE, athlete, payload.get("healthUserId"))
        yield raw_row(SOURCE, payload, athlete=athlete, health_user_id=payload.get("healthUserId"))

    @dlt.resource(name="paired_devices", primary_key="id", write_disposition="merge", columns=PAYLOAD_COLUMNS)
    def paired_devices() -> Iterator[list[dict[str, Any]]]:
        try:
            for page in _paginate(client, "/v4/users/me/pairedDevices", {}, items_key="pairedDevices"):
                if page:
                    yield [raw_row(SOURCE, d, id=f"{athlete}:{d['name']}", athlete=athlete) for d in page]
        except RateLimitExhausted as exc:
            log.warning("google_health paired devices: rate limit exhausted (%s); skipped this time", exc)

    def data_points(table: str, spec: DataType) -> Any:
        page_size = settings.session_page_size if spec.session else settings.sample_page_size

        @dlt.resource(name=table, primary_key="id", write_disposition="merge", columns=PAYLOAD_COLUMNS)
        def records() -> Iterator[list[dict[str, Any]]]:
            state = dlt.current.resource_state().setdefault(athlete, {})  # per athlete
            windows = day_windows(state, settings, last_day)
            try:
                for start, end in windows:
                    params = {
                        "filter": time_filter(spec, start, end + timedelta(days=1)),
                        "pageSize": page_size,
                    }
                    for page in _paginate(client, spec.path, params):
                        if page:
                            yield [
                                raw_row(SOURCE, doc, id=point_id(spec, athlete, doc), athlete=athlete)
                                for doc in page
                            ]
                    state["next_day"] = (end + timedelta(days=1)).isoformat()
            except RateLimitExhausted as exc:
                log.warning("google_health %s: rate limit exhausted (%s); progress kept", table, exc)
                state["resume"] = True
                state["exhausted"] = True
                return
            state["exhausted"] = False
            state["resume"] = bool(windows) and date.fromisoformat(state["next_day"]) <= last_day

        return records

    resources = [identity, paired_devices] + [data_points(t, spec) for t, spec in DATA_TYPES.items()]
    if collections:
        resources = [r for r in resources if r.name in collections]
    return resources


def sync_google_health(
    pipeline: dlt.Pipeline,
    athlete: str = "me",
    settings: GoogleHealthSettings | None = None,
    client: ApiClient | None = None,
    max_runs: int = 1000,
    on_chunk: Callable[[dict[str, Any]], None] | None = None,
    **source_kwargs: Any,
) -> dict[str, Any]:
    """Run chunk after chunk until every data type has reached today (or the day's budget is spent)."""
    settings = settings or GoogleHealthSettings()
    return sync_provider(
        pipeline,
        athlete,
        client,
        lambda: make_client(settings, athlete),
        lambda client: google_health_source(
            athlete=athlete, settings=settings, client=client, **source_kwargs
        ),
        max_runs,
        on_chunk,
    )
