"""A Google Health API (health:v4) stand-in on 127.0.0.1 with a deterministic synthetic history.

Built from Google's discovery document `health.v4.json` (discovery revision 20261030, `id` health:v4, GA), as
shipped by googleapis/google-api-python-client v2.202.0 in googleapiclient/discovery_cache/documents/
(GOOGLE_HEALTH_DISCOVERY.md beside this file records what was taken from it). Data points follow its schemas
(DataPoint, ReconciledDataPoint, Exercise, Sleep, Steps, HeartRate, DailyHeartRateVariability,
DailyRestingHeartRate, DailyOxygenSaturation, Weight, BodyFat, DataSource/Device, Identity, PairedDevice);
values are generated.

    GET  /v4/users/me/dataTypes/{type}/dataPoints            users.dataTypes.dataPoints.list
    GET  /v4/users/me/dataTypes/{type}/dataPoints:reconcile  users.dataTypes.dataPoints.reconcile
         query filter (AIP-160: the type's time field, `>=` / `<`, joined by AND; another field is
         INVALID_ARGUMENT), pageSize (exercise and sleep at most 25, others 10,000; larger values are
         truncated), pageToken; answer {"dataPoints": [...], "nextPageToken": "..."}, newest first
    GET  /v4/users/me/identity, /v4/users/me/pairedDevices
    GET  /o/oauth2/v2/auth     auto-approve, 302 to the loopback redirect_uri (PKCE S256 remembered)
    POST /token                authorization_code / refresh_token; access tokens live one hour (`expires_in`
                               3599); a refresh token only when the authorization asked access_type=offline;
                               Google does not rotate refresh tokens (a refresh answers no new one)
    POST /revoke               form `token=...` (RFC 7009): ends the grant
Errors use Google's envelope {"error": {"code", "message", "status"}}: 401 UNAUTHENTICATED,
429 RESOURCE_EXHAUSTED (with Retry-After when configured), 400 INVALID_ARGUMENT.
"""

from __future__ import annotations

import base64
import json
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

from .base import MockConfig, MockProvider

USER = "4815162342"
# data type -> (DataPoint member, filter field accepted, time kind)
DATA_TYPES: dict[str, tuple[str, str, str]] = {
    "exercise": ("exercise", "exercise.interval.civil_start_time", "civil"),
    "sleep": ("sleep", "sleep.interval.end_time", "end"),
    "steps": ("steps", "steps.interval.start_time", "start"),
    "heart-rate": ("heartRate", "heart_rate.sample_time.physical_time", "sample"),
    "daily-heart-rate-variability": (
        "dailyHeartRateVariability", "daily_heart_rate_variability.date", "date"),
    "daily-resting-heart-rate": ("dailyRestingHeartRate", "daily_resting_heart_rate.date", "date"),
    "daily-oxygen-saturation": ("dailyOxygenSaturation", "daily_oxygen_saturation.date", "date"),
    "weight": ("weight", "weight.sample_time.physical_time", "sample"),
    "body-fat": ("bodyFat", "body_fat.sample_time.physical_time", "sample"),
}  # fmt: skip
SESSION_TYPES = ("exercise", "sleep")
EXERCISES = ("RUNNING", "WALKING", "OUTDOOR_BIKE", "STRENGTH_TRAINING", "YOGA", "SWIMMING_POOL")
WATCH = {"displayName": "Pixel Watch 3", "manufacturer": "Google", "formFactor": "WATCH"}
SCALE = {"displayName": "Aria Air", "manufacturer": "Fitbit", "formFactor": "SCALE"}
PHONE = {"displayName": "Pixel 9", "manufacturer": "Google", "formFactor": "PHONE"}
FILTER_TERM = re.compile(r'^\s*([a-z_.]+)\s*(>=|<)\s*"([^"]+)"\s*$')


@dataclass
class GoogleHealthMockConfig(MockConfig):
    days: int = 30
    first_day: date = field(default_factory=lambda: date(2024, 9, 1))
    utc_offset_s: int = 3600
    access_token_ttl_s: float = 3599.0
    window_lengths_s: tuple[float, float] = (60.0, 86400.0)
    limits: dict[str, tuple[int, int]] | None = field(default_factory=lambda: {"overall": (60, 5_000)})
    send_retry_after: bool = True
    exercise_share: float = 0.6
    heart_rate_every_min: int = 30
    # extra exercises: (start UTC, seconds, exerciseType), e.g. the same run a FIT file recorded
    extra_exercises: list[tuple[datetime, int, str]] = field(default_factory=list)


def _uid(*parts: Any) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "google-health-mock/" + "/".join(map(str, parts))))


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _date(day: date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


def _error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


class GoogleHealthMock(MockProvider):
    name = "google_health"
    api_prefix = "/v4"

    def __init__(self, config: GoogleHealthMockConfig | None = None, **kwargs: Any):
        config = config or GoogleHealthMockConfig()
        super().__init__(config, **kwargs)
        self.cfg: GoogleHealthMockConfig = config
        self.points: dict[str, list[dict[str, Any]]] = {name: [] for name in DATA_TYPES}
        self._offline_codes: set[str] = set()
        for i in range(config.days):
            self._make_day(i)
        for n, (start, seconds, kind) in enumerate(config.extra_exercises):
            self.points["exercise"].append(
                self._exercise(_uid("extra", n), start, seconds, kind, random.Random(n))
            )

    @property
    def last_day(self) -> date:
        return self.cfg.first_day + timedelta(days=self.cfg.days - 1)

    def env(self) -> dict[str, str]:
        env = {
            "OPENFIT_GOOGLE_HEALTH_CLIENT_ID": self.config.client_id,
            "OPENFIT_GOOGLE_HEALTH_CLIENT_SECRET": self.config.client_secret,
            "OPENFIT_GOOGLE_HEALTH_AUTH_URL": f"{self.base_url}/o/oauth2/v2/auth",
            "OPENFIT_GOOGLE_HEALTH_TOKEN_URL": f"{self.base_url}/token",
            "OPENFIT_GOOGLE_HEALTH_REVOKE_URL": f"{self.base_url}/revoke",
            "OPENFIT_GOOGLE_HEALTH_API_BASE_URL": self.base_url,
            "OPENFIT_GOOGLE_HEALTH_RATE_WINDOW_SHORT_S": str(self.cfg.window_lengths_s[0]),
            "OPENFIT_GOOGLE_HEALTH_RATE_WINDOW_LONG_S": str(self.cfg.window_lengths_s[1]),
        }
        if self.cfg.limits:
            env["OPENFIT_GOOGLE_HEALTH_RATE_LIMIT_SHORT"] = str(self.cfg.limits["overall"][0])
            env["OPENFIT_GOOGLE_HEALTH_RATE_LIMIT_LONG"] = str(self.cfg.limits["overall"][1])
        return env

    @property
    def record_count(self) -> int:
        return sum(len(points) for points in self.points.values())

    # -- data --------------------------------------------------------------------------------------------
    def _source(self, device: dict[str, str], method: str = "PASSIVELY_MEASURED") -> dict[str, Any]:
        return {
            "device": dict(device),
            "application": {"packageName": "com.google.android.apps.fitness"},
            "platform": "FITBIT",
            "recordingMethod": method,
        }

    def _offset(self) -> str:
        return f"{self.cfg.utc_offset_s}s"

    def _civil(self, dt: datetime) -> dict[str, Any]:
        local = dt.astimezone(UTC) + timedelta(seconds=self.cfg.utc_offset_s)
        return {
            "date": _date(local.date()),
            "time": {"hours": local.hour, "minutes": local.minute, "seconds": local.second},
        }

    def _session_interval(self, start: datetime, end: datetime) -> dict[str, Any]:
        return {
            "startTime": _ts(start),
            "startUtcOffset": self._offset(),
            "endTime": _ts(end),
            "endUtcOffset": self._offset(),
            "civilStartTime": self._civil(start),
            "civilEndTime": self._civil(end),
        }

    def _sample_time(self, at: datetime) -> dict[str, Any]:
        return {"physicalTime": _ts(at), "utcOffset": self._offset(), "civilTime": self._civil(at)}

    def _exercise(self, pid: str, start: datetime, seconds: int, kind: str, rng: random.Random) -> dict:
        end = start + timedelta(seconds=seconds)
        summary: dict[str, Any] = {
            "caloriesKcal": round(rng.uniform(80, 900), 1),
            "averageHeartRateBeatsPerMinute": str(rng.randint(105, 165)),
            "activeZoneMinutes": str(rng.randint(0, seconds // 60)),
            "heartRateZoneDurations": {
                "lightTime": f"{seconds // 4}s",
                "moderateTime": f"{seconds // 4}s",
                "vigorousTime": f"{seconds // 4}s",
                "peakTime": f"{seconds - 3 * (seconds // 4)}s",
            },
        }
        if kind in ("RUNNING", "WALKING", "OUTDOOR_BIKE"):
            summary["distanceMillimeters"] = round(rng.uniform(2_000_000, 30_000_000), 1)
            summary["steps"] = str(rng.randint(1000, 9000)) if kind != "OUTDOOR_BIKE" else "0"
            summary["elevationGainMillimeters"] = round(rng.uniform(0, 300_000), 1)
        created = _ts(end + timedelta(minutes=2))
        return {
            "name": f"users/{USER}/dataTypes/exercise/dataPoints/{pid}",
            "dataSource": self._source(WATCH, "ACTIVELY_MEASURED"),
            "exercise": {
                "interval": self._session_interval(start, end),
                "exerciseType": kind,
                "displayName": kind.replace("_", " ").title(),
                "activeDuration": f"{seconds}s",
                "metricsSummary": summary,
                "exerciseMetadata": {"hasGps": kind in ("RUNNING", "WALKING", "OUTDOOR_BIKE")},
                "createTime": created,
                "updateTime": created,
            },
        }

    def _sleep(self, day: date, rng: random.Random) -> dict[str, Any]:
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        onset = midnight - timedelta(hours=2) + timedelta(minutes=rng.randint(0, 90))
        stages, at = [], onset
        for _cycle in range(rng.randint(4, 5)):
            for kind, lo, hi in (("LIGHT", 20, 50), ("DEEP", 10, 30), ("LIGHT", 10, 20), ("REM", 10, 30)):
                end = at + timedelta(minutes=rng.randint(lo, hi))
                stages.append((kind, at, end))
                at = end
            if rng.random() < 0.5:
                end = at + timedelta(minutes=rng.randint(2, 8))
                stages.append(("AWAKE", at, end))
                at = end
        minutes: dict[str, int] = {}
        counts: dict[str, int] = {}
        for kind, start, end in stages:
            minutes[kind] = minutes.get(kind, 0) + int((end - start).total_seconds() // 60)
            counts[kind] = counts.get(kind, 0) + 1
        total = int((at - onset).total_seconds() // 60)
        asleep = minutes.get("LIGHT", 0) + minutes.get("DEEP", 0) + minutes.get("REM", 0)
        created = _ts(at + timedelta(minutes=10))
        return {
            "name": f"users/{USER}/dataTypes/sleep/dataPoints/{_uid('sleep', day)}",
            "dataSource": self._source(WATCH),
            "sleep": {
                "interval": self._session_interval(onset, at),
                "type": "STAGES",
                "stages": [
                    {
                        "type": kind,
                        "startTime": _ts(start),
                        "startUtcOffset": self._offset(),
                        "endTime": _ts(end),
                        "endUtcOffset": self._offset(),
                        "createTime": created,
                        "updateTime": created,
                    }
                    for kind, start, end in stages
                ],
                "metadata": {"mainSleep": True, "nap": False, "processed": True, "stagesStatus": "SUCCEEDED"},
                "summary": {
                    "minutesAsleep": str(asleep),
                    "minutesAwake": str(minutes.get("AWAKE", 0)),
                    "minutesInSleepPeriod": str(total),
                    "minutesToFallAsleep": "0",
                    "minutesAfterWakeUp": "0",
                    "stagesSummary": [
                        {"type": kind, "minutes": str(minutes[kind]), "count": str(counts[kind])}
                        for kind in sorted(minutes)
                    ],
                },
                "createTime": created,
                "updateTime": created,
            },
        }

    def _make_day(self, i: int) -> None:
        day = self.cfg.first_day + timedelta(days=i)
        rng = random.Random(f"{self.cfg.seed}-{day}")
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        self.points["sleep"].append(self._sleep(day, rng))
        if rng.random() < self.cfg.exercise_share:
            start = midnight + timedelta(hours=rng.randint(7, 19), minutes=rng.randint(0, 59))
            kind = rng.choice(EXERCISES)
            self.points["exercise"].append(
                self._exercise(_uid("exercise", day), start, rng.randint(20, 90) * 60, kind, rng)
            )
        for hour in range(7, 23):  # hourly steps of the watch (`reconcile` answers them without the source)
            start = midnight + timedelta(hours=hour)
            self.points["steps"].append(
                {
                    "dataSource": self._source(WATCH),
                    "steps": {
                        "count": str(rng.randint(0, 1500)),
                        "interval": {
                            "startTime": _ts(start),
                            "startUtcOffset": self._offset(),
                            "endTime": _ts(start + timedelta(hours=1)),
                            "endUtcOffset": self._offset(),
                            "civilStartTime": self._civil(start),
                            "civilEndTime": self._civil(start + timedelta(hours=1)),
                        },
                    },
                }
            )
        for minute in range(0, 24 * 60, self.cfg.heart_rate_every_min):
            at = midnight + timedelta(minutes=minute)
            self.points["heart-rate"].append(
                {
                    "dataSource": self._source(WATCH),
                    "heartRate": {
                        "beatsPerMinute": str(rng.randint(48, 130)),
                        "sampleTime": self._sample_time(at),
                        "metadata": {"sensorLocation": "WRIST", "motionContext": "SEDENTARY"},
                    },
                }
            )
        self.points["daily-heart-rate-variability"].append(
            {
                "dataSource": self._source(WATCH, "DERIVED"),
                "dailyHeartRateVariability": {
                    "date": _date(day),
                    "averageHeartRateVariabilityMilliseconds": round(rng.uniform(20, 110), 3),
                    "deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds": round(
                        rng.uniform(20, 120), 3
                    ),
                    "nonRemHeartRateBeatsPerMinute": str(rng.randint(45, 65)),
                    "entropy": round(rng.uniform(2, 4), 3),
                },
            }
        )
        self.points["daily-resting-heart-rate"].append(
            {
                "dataSource": self._source(WATCH, "DERIVED"),
                "dailyRestingHeartRate": {
                    "date": _date(day),
                    "beatsPerMinute": str(rng.randint(44, 64)),
                    "dailyRestingHeartRateMetadata": {"calculationMethod": "WITH_SLEEP"},
                },
            }
        )
        spo2 = round(rng.uniform(94, 98.5), 2)
        self.points["daily-oxygen-saturation"].append(
            {
                "dataSource": self._source(WATCH, "DERIVED"),
                "dailyOxygenSaturation": {
                    "date": _date(day),
                    "averagePercentage": spo2,
                    "lowerBoundPercentage": round(spo2 - 1.5, 2),
                    "upperBoundPercentage": min(100.0, round(spo2 + 1.5, 2)),
                    "standardDeviationPercentage": 0.6,
                },
            }
        )
        if i % 3 == 0:  # a weigh-in every third morning on the scale
            at = midnight + timedelta(hours=6, minutes=rng.randint(0, 45))
            self.points["weight"].append(
                {
                    "dataSource": self._source(SCALE),
                    "weight": {
                        "weightGrams": float(rng.randint(70_000, 74_000)),
                        "sampleTime": self._sample_time(at),
                    },
                }
            )
            self.points["body-fat"].append(
                {
                    "dataSource": self._source(SCALE),
                    "bodyFat": {
                        "percentage": round(rng.uniform(14, 19), 1),
                        "sampleTime": self._sample_time(at),
                    },
                }
            )

    def _time_of(self, data_type: str, point: dict[str, Any]) -> tuple[str, Any]:
        """(kind, value) of the field the data type's filter compares, and the sort key (start time)."""
        member, _field, kind = DATA_TYPES[data_type]
        value = point[member]
        if kind == "sample":
            return kind, _parse(value["sampleTime"]["physicalTime"])
        if kind == "date":
            d = value["date"]
            return kind, date(d["year"], d["month"], d["day"])
        if kind == "end":
            return kind, _parse(value["interval"]["endTime"])
        if kind == "civil":
            c = value["interval"]["civilStartTime"]
            t = c.get("time", {})
            return kind, datetime(c["date"]["year"], c["date"]["month"], c["date"]["day"],
                                  t.get("hours", 0), t.get("minutes", 0), t.get("seconds", 0))  # fmt: skip
        return kind, _parse(value["interval"]["startTime"])

    def _sort_key(self, data_type: str, point: dict[str, Any]) -> str:
        value = point[DATA_TYPES[data_type][0]]
        if "interval" in value:
            return value["interval"]["startTime"]
        if "sampleTime" in value:
            return value["sampleTime"]["physicalTime"]
        d = value["date"]
        return f"{d['year']:04d}-{d['month']:02d}-{d['day']:02d}"

    # -- OAuth -------------------------------------------------------------------------------------------
    def route_oauth(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Any:
        if path == "/o/oauth2/v2/auth" and method == "GET":
            status, headers, body = self.authorize(query)
            if status == 302 and query.get("access_type") == "offline":
                code = parse_qs(urlparse(headers["Location"]).query)["code"][0]
                with self._lock:
                    self._offline_codes.add(code)
            return status, headers, body
        if path == "/token" and method == "POST":
            if form.get("grant_type") == "refresh_token":
                status, body = self._refresh(form)
                return status, {}, body
            offline = form.get("code", "") in self._offline_codes
            status, body = self.token(form)
            if status == 200 and not offline:  # online access: Google issues no refresh token
                with self._lock:
                    self._by_refresh.pop(body.pop("refresh_token"), None)
            return status, {}, body
        if path == "/revoke" and method == "POST":
            token = form.get("token", "")
            with self._lock:
                grant = self._by_refresh.get(token) or self._by_access.get(token)
                if grant is None:
                    return 400, {}, {"error": "invalid_token"}
                grant.revoked = True
                self.stats["revoked"] += 1
            return 200, {}, None
        return None

    def _refresh(self, form: dict[str, str]) -> tuple[int, Any]:
        """Google keeps the refresh token: a refresh answers a new access token only."""
        if (
            form.get("client_id") != self.config.client_id
            or form.get("client_secret") != self.config.client_secret
        ):
            return 401, self.token_error("invalid_client")
        with self._lock:
            grant = self._by_refresh.get(form.get("refresh_token", ""))
            if grant is None or grant.revoked:
                self.stats["invalid_grant"] += 1
                return 400, self.token_error("invalid_grant")
            access, _expires = self._new_access(grant)
            self.stats["refresh"] += 1
            return 200, {
                "access_token": access,
                "expires_in": int(self.config.access_token_ttl_s),
                "scope": grant.scope,
                "token_type": "Bearer",
            }

    def _token_response(self, grant: Any) -> dict[str, Any]:
        body = super()._token_response(grant)
        body.pop("expires_at", None)  # Google answers expires_in only
        return body

    def token_error(self, error: str) -> Any:
        return {"error": error, "error_description": "Bad Request"}

    def unauthorized_body(self) -> Any:
        return _error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")

    def throttled_response(self) -> tuple[int, Any]:
        return 429, _error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Read requests'.")

    # -- API ---------------------------------------------------------------------------------------------
    def _page(self, data_type: str, query: dict[str, str], reconcile: bool) -> tuple[int, Any]:
        _member, allowed_field, kind = DATA_TYPES[data_type]
        low = high = None
        for term in filter(None, (query.get("filter") or "").split(" AND ")):
            match = FILTER_TERM.match(term)
            if not match or match.group(1) != allowed_field:
                return 400, _error(400, "INVALID_ARGUMENT", f"unsupported filter term: {term}")
            _f, op, literal = match.groups()
            try:
                if kind == "date":
                    bound: Any = date.fromisoformat(literal)
                elif kind == "civil":
                    bound = datetime.fromisoformat(literal)
                else:
                    if not literal.endswith("Z"):
                        raise ValueError(literal)
                    bound = _parse(literal)
            except ValueError:
                return 400, _error(400, "INVALID_ARGUMENT", f"invalid time literal: {literal}")
            if op == ">=":
                low = bound
            else:
                high = bound
        try:
            size = int(query.get("pageSize") or (25 if data_type in SESSION_TYPES else 1440))
        except ValueError:
            return 400, _error(400, "INVALID_ARGUMENT", "pageSize must be an integer")
        if size < 1:
            return 400, _error(400, "INVALID_ARGUMENT", "pageSize must be positive")
        size = min(size, 25 if data_type in SESSION_TYPES else 10_000)  # larger values are truncated
        items = []
        for point in self.points[data_type]:
            _k, value = self._time_of(data_type, point)
            if (low is None or value >= low) and (high is None or value < high):
                items.append(point)
        items.sort(key=lambda p: self._sort_key(data_type, p), reverse=True)  # newest first
        offset = 0
        if query.get("pageToken"):
            try:
                offset = json.loads(base64.urlsafe_b64decode(query["pageToken"].encode()))["offset"]
            except (ValueError, KeyError):
                return 400, _error(400, "INVALID_ARGUMENT", "invalid page token")
        chunk = items[offset : offset + size]
        if reconcile:
            chunk = [self.reconciled(p) for p in chunk]
        body: dict[str, Any] = {"dataPoints": chunk}
        if offset + size < len(items):
            body["nextPageToken"] = base64.urlsafe_b64encode(
                json.dumps({"offset": offset + size}).encode()
            ).decode()
        for point in chunk:
            self.served[f"{data_type}:{self._sort_key(data_type, point)}"] += 1
        return 200, body

    @staticmethod
    def reconciled(point: dict[str, Any]) -> dict[str, Any]:
        """A data point as `reconcile` answers it (ReconciledDataPoint): the value and `dataPointName`, no data
        source."""
        kept = {k: v for k, v in point.items() if k not in ("dataSource", "name")}
        return kept | ({"dataPointName": point["name"]} if "name" in point else {})

    def route(self, method: str, path: str, query: dict[str, str], grant: Any) -> tuple[int, Any]:
        if method != "GET":
            return 405, _error(405, "METHOD_NOT_ALLOWED", "Method Not Allowed")
        match = re.fullmatch(r"/users/me/dataTypes/([a-z-]+)/dataPoints(:reconcile)?", path)
        if match:
            data_type = match.group(1)
            if data_type not in DATA_TYPES:
                return 404, _error(404, "NOT_FOUND", f"unknown data type {data_type}")
            return self._page(data_type, query, reconcile=bool(match.group(2)))
        if path == "/users/me/identity":
            return 200, {"name": "users/me/identity", "healthUserId": USER, "legacyUserId": "7QX2KL"}
        if path == "/users/me/pairedDevices":
            return 200, {
                "pairedDevices": [
                    {
                        "name": f"users/{USER}/pairedDevices/1001",
                        "deviceType": "TRACKER",
                        "deviceVersion": WATCH["displayName"],
                        "batteryStatus": "High",
                        "batteryLevel": 80,
                        "lastSyncTime": _ts(datetime.combine(self.last_day, datetime.min.time(), tzinfo=UTC)),
                    },
                    {
                        "name": f"users/{USER}/pairedDevices/1002",
                        "deviceType": "SCALE",
                        "deviceVersion": SCALE["displayName"],
                        "batteryStatus": "Medium",
                        "batteryLevel": 55,
                    },
                ]
            }
        return 404, _error(404, "NOT_FOUND", "Not Found")
