"""A WHOOP developer API v2 stand-in on 127.0.0.1 with a deterministic synthetic history.

Built from the official WHOOP OpenAPI document (OpenAPI 3.0.1, `info` carries no version; servers
`https://api.prod.whoop.com/developer`), as vendored by tryAGI/Whoop at commit
5b53d943f1c003723e9ff3a432791c547fe76f87, file src/libs/Whoop/openapi.yaml (WHOOP_OPENAPI.md beside this file
records what was taken from it). Documents follow its schemas (Cycle, Recovery, Sleep, WorkoutV2,
UserBasicProfile, UserBodyMeasurement); values are generated.

    GET    /developer/v2/cycle | /v2/recovery | /v2/activity/sleep | /v2/activity/workout
           query start (inclusive), end (exclusive) date-times, limit (default 10, max 25), nextToken;
           answer {"records": [...], "next_token": "..."} newest first (recovery: by its cycle's start)
    GET    /developer/v2/user/profile/basic, /developer/v2/user/measurement/body
    DELETE /developer/v2/user/access          revoke the grant (204)
    GET    /oauth/oauth2/auth                 auto-approve, 302 to the loopback redirect_uri
    POST   /oauth/oauth2/token                authorization_code / refresh_token; access tokens live 1 hour
                                              (`expires_in` 3600, no `expires_at`); a refresh token only with
                                              the `offline` scope; refresh tokens are single-use
Rate limits: 100 requests per minute and 10,000 per day (fixed windows; both scalable), 429 with Retry-After
beyond them and the `X-RateLimit-Limit` / `-Remaining` / `-Reset` headers WHOOP sends. 401 on a bad token.
"""

from __future__ import annotations

import base64
import json
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .base import MockConfig, MockProvider

COLLECTIONS = {
    "/v2/cycle": "cycle",
    "/v2/recovery": "recovery",
    "/v2/activity/sleep": "sleep",
    "/v2/activity/workout": "workout",
}
SPORTS = ("running", "cycling", "weightlifting", "walking", "functional-fitness")


@dataclass
class WhoopMockConfig(MockConfig):
    days: int = 30
    first_day: date = field(default_factory=lambda: date(2024, 9, 1))
    user_id: int = 10129
    timezone_offset: str = "+01:00"
    access_token_ttl_s: float = 3600.0
    window_lengths_s: tuple[float, float] = (60.0, 86400.0)
    limits: dict[str, tuple[int, int]] | None = field(default_factory=lambda: {"overall": (100, 10_000)})
    send_retry_after: bool = True
    workout_share: float = 0.7
    # extra workouts: (start UTC, seconds, sport_name), e.g. the same ride a FIT file recorded
    extra_workouts: list[tuple[datetime, int, str]] = field(default_factory=list)


def _uid(*parts: Any) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "whoop-mock/" + "/".join(map(str, parts))))


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class WhoopMock(MockProvider):
    name = "whoop"
    api_prefix = "/developer"

    def __init__(self, config: WhoopMockConfig | None = None, **kwargs: Any):
        config = config or WhoopMockConfig()
        super().__init__(config, **kwargs)
        self.cfg: WhoopMockConfig = config
        self.docs: dict[str, list[dict[str, Any]]] = {name: [] for name in COLLECTIONS.values()}
        self._cycle_start: dict[int, str] = {}  # recovery filters and sorts by its cycle's start
        for i in range(config.days):
            self._make_day(i)
        for n, (start, seconds, sport) in enumerate(config.extra_workouts):
            self.docs["workout"].append(
                self._workout(_uid("extra", n), start, seconds, sport, random.Random(n), distance=True)
            )

    @property
    def last_day(self) -> date:
        return self.cfg.first_day + timedelta(days=self.cfg.days - 1)

    def env(self) -> dict[str, str]:
        return {
            "OPENFIT_WHOOP_CLIENT_ID": self.config.client_id,
            "OPENFIT_WHOOP_CLIENT_SECRET": self.config.client_secret,
            "OPENFIT_WHOOP_AUTH_URL": f"{self.base_url}/oauth/oauth2/auth",
            "OPENFIT_WHOOP_TOKEN_URL": f"{self.base_url}/oauth/oauth2/token",
            "OPENFIT_WHOOP_REVOKE_URL": f"{self.base_url}/developer/v2/user/access",
            "OPENFIT_WHOOP_API_BASE_URL": f"{self.base_url}/developer",
            "OPENFIT_WHOOP_RATE_WINDOW_SHORT_S": str(self.cfg.window_lengths_s[0]),
            "OPENFIT_WHOOP_RATE_WINDOW_LONG_S": str(self.cfg.window_lengths_s[1]),
            **(
                {
                    "OPENFIT_WHOOP_RATE_LIMIT_SHORT": str(self.cfg.limits["overall"][0]),
                    "OPENFIT_WHOOP_RATE_LIMIT_LONG": str(self.cfg.limits["overall"][1]),
                }
                if self.cfg.limits
                else {}
            ),
        }

    @property
    def record_count(self) -> int:
        return sum(len(docs) for docs in self.docs.values())

    # -- data --------------------------------------------------------------------------------------------
    def _stamps(self, start: datetime, end: datetime | None) -> dict[str, Any]:
        created = (end or start) + timedelta(minutes=5)
        return {
            "user_id": self.cfg.user_id,
            "created_at": _ts(created),
            "updated_at": _ts(created + timedelta(hours=3)),
            "start": _ts(start),
            **({"end": _ts(end)} if end is not None else {}),
            "timezone_offset": self.cfg.timezone_offset,
        }

    def _workout(
        self, wid: str, start: datetime, seconds: int, sport: str, rng: random.Random, distance: bool
    ) -> dict[str, Any]:
        zones = [rng.randint(0, seconds // 4) for _ in range(5)]
        zones.insert(0, max(0, seconds - sum(zones)))
        score: dict[str, Any] = {
            "strain": round(rng.uniform(4, 18), 4),
            "average_heart_rate": rng.randint(110, 160),
            "max_heart_rate": rng.randint(160, 190),
            "kilojoule": round(rng.uniform(400, 4000), 3),
            "percent_recorded": 100.0,
            "zone_durations": {
                f"zone_{name}_milli": ms * 1000
                for name, ms in zip(("zero", "one", "two", "three", "four", "five"), zones, strict=True)
            },
        }
        if distance:
            score["distance_meter"] = round(rng.uniform(3000, 40000), 2)
            score["altitude_gain_meter"] = round(rng.uniform(0, 600), 2)
            score["altitude_change_meter"] = round(rng.uniform(-50, 50), 2)
        return {
            "id": wid,
            **self._stamps(start, start + timedelta(seconds=seconds)),
            "sport_name": sport,
            "score_state": "SCORED",
            "score": score,
        }

    def _make_day(self, i: int) -> None:
        day = self.cfg.first_day + timedelta(days=i)
        rng = random.Random(f"{self.cfg.seed}-{day}")
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        onset = midnight - timedelta(hours=2) + timedelta(minutes=rng.randint(0, 90))
        in_bed_ms = rng.randint(6 * 3600, 9 * 3600) * 1000
        wake = onset + timedelta(milliseconds=in_bed_ms)
        cycle_id = 1_000_000 + i
        next_onset = onset + timedelta(days=1)  # the cycle ends when the next one starts
        is_last = i == self.cfg.days - 1
        cycle_start = _ts(onset)
        self._cycle_start[cycle_id] = cycle_start
        self.docs["cycle"].append(
            {
                "id": cycle_id,
                **self._stamps(onset, None if is_last else next_onset),
                "score_state": "SCORED",
                "score": {
                    "strain": round(rng.uniform(5, 19), 4),
                    "kilojoule": round(rng.uniform(7000, 14000), 3),
                    "average_heart_rate": rng.randint(58, 80),
                    "max_heart_rate": rng.randint(140, 190),
                },
            }
        )
        awake = rng.randint(10, 50) * 60_000
        no_data = 0
        deep = rng.randint(50, 100) * 60_000
        rem = rng.randint(60, 120) * 60_000
        light = in_bed_ms - awake - deep - rem - no_data
        sleep_id = _uid("sleep", day)
        self.docs["sleep"].append(
            {
                "id": sleep_id,
                "cycle_id": cycle_id,
                **self._stamps(onset, wake),
                "nap": False,
                "score_state": "SCORED",
                "score": {
                    "stage_summary": {
                        "total_in_bed_time_milli": in_bed_ms,
                        "total_awake_time_milli": awake,
                        "total_no_data_time_milli": no_data,
                        "total_light_sleep_time_milli": light,
                        "total_slow_wave_sleep_time_milli": deep,
                        "total_rem_sleep_time_milli": rem,
                        "sleep_cycle_count": rng.randint(3, 6),
                        "disturbance_count": rng.randint(2, 20),
                    },
                    "sleep_needed": {
                        "baseline_milli": 27_000_000,
                        "need_from_sleep_debt_milli": rng.randint(0, 3_600_000),
                        "need_from_recent_strain_milli": rng.randint(0, 1_800_000),
                        "need_from_recent_nap_milli": 0,
                    },
                    "respiratory_rate": round(rng.uniform(13, 17), 3),
                    "sleep_performance_percentage": float(rng.randint(60, 100)),
                    "sleep_consistency_percentage": float(rng.randint(50, 99)),
                    "sleep_efficiency_percentage": round(100 * (in_bed_ms - awake) / in_bed_ms, 3),
                },
            }
        )
        recovery: dict[str, Any] = {
            "cycle_id": cycle_id,
            "sleep_id": sleep_id,
            "user_id": self.cfg.user_id,
            "created_at": _ts(wake + timedelta(minutes=5)),
            "updated_at": _ts(wake + timedelta(minutes=30)),
            "score_state": "SCORED",
            "score": {
                "user_calibrating": False,
                "recovery_score": float(rng.randint(10, 99)),
                "resting_heart_rate": float(rng.randint(42, 62)),
                "hrv_rmssd_milli": round(rng.uniform(25, 140), 4),
                "spo2_percentage": round(rng.uniform(94, 99), 4),
                "skin_temp_celsius": round(rng.uniform(32.5, 35), 3),
            },
        }
        if is_last:  # today's recovery is not scored yet: no score object
            recovery["score_state"] = "PENDING_SCORE"
            del recovery["score"]
        self.docs["recovery"].append(recovery)
        if rng.random() < self.cfg.workout_share:
            start = midnight + timedelta(hours=rng.randint(7, 19), minutes=rng.randint(0, 59))
            sport = rng.choice(SPORTS)
            distance = sport in ("running", "cycling", "walking")
            seconds = rng.randint(20, 120) * 60
            self.docs["workout"].append(
                self._workout(_uid("workout", day), start, seconds, sport, rng, distance)
            )

    def _start_of(self, name: str, doc: dict[str, Any]) -> str:
        return self._cycle_start[doc["cycle_id"]] if name == "recovery" else doc["start"]

    # -- hooks -------------------------------------------------------------------------------------------
    def route_oauth(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Any:
        if path == "/oauth/oauth2/auth" and method == "GET":
            return self.authorize(query)
        if path == "/oauth/oauth2/token" and method == "POST":
            if form.get("grant_type") == "refresh_token" and "offline" not in form.get("scope", "").split():
                return 400, {}, self.token_error("invalid_scope")
            status, body = self.token(form)
            return status, {}, body
        return None

    def _token_response(self, grant: Any) -> dict[str, Any]:
        body = super()._token_response(grant)
        body.pop("expires_at", None)  # WHOOP answers expires_in only
        body["token_type"] = "bearer"
        if "offline" not in grant.scope.split():
            self._by_refresh.pop(body.pop("refresh_token"), None)  # no offline scope: no refresh token
        return body

    def token_error(self, error: str) -> Any:
        return {
            "error": error,
            "error_description": "The request could not be authorized",
            "status_code": 400,
        }

    def unauthorized_body(self) -> Any:
        return None  # WHOOP answers 401 with an empty body

    def rate_limit_headers(self, usage: dict[str, tuple[int, int]]) -> dict[str, str]:
        if not self.config.limits:
            return {}
        short, long = self.config.limits["overall"]
        window_s, day_s = self.config.window_lengths_s
        used = usage.get("overall", (0, 0))
        now = time.time()
        return {
            "X-RateLimit-Limit": f"{short}, {short};window={window_s:g}, {long};window={day_s:g}",
            "X-RateLimit-Remaining": str(max(0, short - used[0])),
            "X-RateLimit-Reset": str(int((now // window_s + 1) * window_s - now) + 1),
        }

    def _page(self, name: str, query: dict[str, str]) -> tuple[int, Any]:
        try:
            start = _parse(query["start"]) if query.get("start") else None
            end = _parse(query["end"]) if query.get("end") else None
            limit = int(query.get("limit") or 10)
        except ValueError:
            return 400, {"message": "invalid query parameter"}
        if limit < 1 or limit > 25:
            return 400, {"message": "limit must be between 1 and 25"}
        items = [
            d
            for d in self.docs[name]
            if (start is None or _parse(self._start_of(name, d)) >= start)
            and (end is None or _parse(self._start_of(name, d)) < end)
        ]
        items.sort(key=lambda d: self._start_of(name, d), reverse=True)  # newest first
        offset = 0
        if query.get("nextToken"):
            try:
                offset = json.loads(base64.urlsafe_b64decode(query["nextToken"].encode()))["offset"]
            except (ValueError, KeyError):
                return 400, {"message": "invalid nextToken"}
        chunk = items[offset : offset + limit]
        body: dict[str, Any] = {"records": chunk}
        if offset + limit < len(items):
            body["next_token"] = base64.urlsafe_b64encode(
                json.dumps({"offset": offset + limit}).encode()
            ).decode()
        for doc in chunk:
            self.served[f"{name}:{doc.get('id', doc.get('cycle_id'))}"] += 1
        return 200, body

    def route(self, method: str, path: str, query: dict[str, str], grant: Any) -> tuple[int, Any]:
        if method == "DELETE" and path == "/v2/user/access":
            with self._lock:
                grant.revoked = True
                self.stats["revoked"] += 1
            return 204, None
        if method != "GET":
            return 405, {"message": "Method Not Allowed"}
        if path in COLLECTIONS:
            return self._page(COLLECTIONS[path], query)
        if path == "/v2/user/profile/basic":
            return 200, {
                "user_id": self.cfg.user_id,
                "email": "athlete@example.org",
                "first_name": "Alex",
                "last_name": "Example",
            }
        if path == "/v2/user/measurement/body":
            return 200, {"height_meter": 1.8288, "weight_kilogram": 72.5, "max_heart_rate": 192}
        return 404, {"message": "Not Found"}
