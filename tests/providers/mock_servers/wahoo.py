"""A Wahoo Cloud API v1 stand-in on 127.0.0.1 with a deterministic synthetic workout history.

Built from Wahoo's own API documentation source (Slate markdown), WahooFitness/slate at commit 1547f347d4
(`source/index.html.md` and `source/includes/**`, changelog up to 2025-10-06; WAHOO_API.md beside this file
records what was taken from it). Wahoo publishes no OpenAPI document: documents follow the documented samples
(user, workout with embedded workout_summary, decimals as strings); values are generated.

    GET    /v1/user                     the authenticated user (403 without the `user_read` scope)
    GET    /v1/workouts                 query page (default 1), per_page (default 30); newest `starts` first;
                                        answer {"workouts": [...], "total", "page", "per_page",
                                        "order": "descending", "sort": "starts"}
    GET    /v1/workouts/:id             one workout;  GET /v1/workouts/:id/workout_summary  its summary
    DELETE /v1/permissions              revoke the app's access (the grant)
    GET    /files/<workout id>.fit      the FIT file of `file.url` (no token; 404 unless a test attached one)
    GET    /oauth/authorize             auto-approve, 302 to the loopback redirect_uri
    POST   /oauth/token                 authorization_code / refresh_token (parameters in the query string, as
                                        documented, or the form); access tokens live 2 hours (`expires_in`
                                        7200, no `expires_at`); every refresh returns a new refresh token and
                                        the old one is dead (single use); the first API call with the new
                                        access token revokes the grant's older access tokens
Rate limits per app: 200 requests per 5 minutes and 5,000 per day (fixed windows; both scalable), 429 beyond
them, and `X-RateLimit-Limit` / `-Remaining` (day, hour, 5 min) and `-Reset` headers on every answer.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .base import MockConfig, MockProvider

# workout_type_id -> the sport family the generated numbers follow (a few of _data_types.md's ids)
WORKOUT_TYPES = {0: "ride", 15: "ride", 12: "ride", 61: "ride", 1: "run", 5: "run", 4: "run", 25: "swim", 6: "walk",
                 9: "walk", 66: "gym", 22: "gym"}  # fmt: skip


@dataclass
class WahooMockConfig(MockConfig):
    days: int = 30
    first_day: date = field(default_factory=lambda: date(2024, 9, 1))
    user_id: int = 60462
    time_zone: str = "Europe/Berlin"
    access_token_ttl_s: float = 7200.0
    window_lengths_s: tuple[float, float] = (300.0, 86400.0)
    limits: dict[str, tuple[int, int]] | None = field(default_factory=lambda: {"overall": (200, 5_000)})
    hour_limit: int = 1_000
    send_retry_after: bool = True
    workout_share: float = 0.8
    # extra workouts: (start UTC, seconds, workout_type_id), e.g. the same ride a FIT file recorded
    extra_workouts: list[tuple[datetime, int, int]] = field(default_factory=list)


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _dec(value: float | None) -> str | None:
    """Wahoo sends decimals as strings with two places."""
    return None if value is None else f"{value:.2f}"


class WahooMock(MockProvider):
    name = "wahoo"
    api_prefix = "/v1"

    def __init__(self, config: WahooMockConfig | None = None, **kwargs: Any):
        config = config or WahooMockConfig()
        super().__init__(config, **kwargs)
        self.cfg: WahooMockConfig = config
        self.workouts: list[dict[str, Any]] = []
        self._hour_counts: dict[int, int] = {}
        self.fit_files: dict[str, bytes] = {}  # file name of `file.url` -> FIT bytes
        self._next_id = 56_000
        for i in range(config.days):
            self._make_day(i)
        for n, (start, seconds, type_id) in enumerate(config.extra_workouts):
            self.workouts.append(self._workout(start, seconds, type_id, random.Random(f"extra-{n}")))

    @property
    def last_day(self) -> date:
        return self.cfg.first_day + timedelta(days=self.cfg.days - 1)

    def env(self) -> dict[str, str]:
        env = {
            "OPENFIT_WAHOO_CLIENT_ID": self.config.client_id,
            "OPENFIT_WAHOO_CLIENT_SECRET": self.config.client_secret,
            "OPENFIT_WAHOO_AUTH_URL": f"{self.base_url}/oauth/authorize",
            "OPENFIT_WAHOO_TOKEN_URL": f"{self.base_url}/oauth/token",
            "OPENFIT_WAHOO_REVOKE_URL": f"{self.base_url}/v1/permissions",
            "OPENFIT_WAHOO_API_BASE_URL": self.base_url,
            "OPENFIT_WAHOO_RATE_WINDOW_SHORT_S": str(self.cfg.window_lengths_s[0]),
            "OPENFIT_WAHOO_RATE_WINDOW_LONG_S": str(self.cfg.window_lengths_s[1]),
            "OPENFIT_WAHOO_RATE_LIMIT_HOUR": str(self.cfg.hour_limit),
        }
        if self.cfg.limits:
            env["OPENFIT_WAHOO_RATE_LIMIT_SHORT"] = str(self.cfg.limits["overall"][0])
            env["OPENFIT_WAHOO_RATE_LIMIT_LONG"] = str(self.cfg.limits["overall"][1])
        return env

    def completed(self) -> list[dict[str, Any]]:
        """The workouts with a summary (the ones OpenFit turns into activities)."""
        return [w for w in self.workouts if w["workout_summary"]]

    # -- data --------------------------------------------------------------------------------------------
    def _workout(
        self, start: datetime, seconds: int, type_id: int, rng: random.Random, completed: bool = True
    ) -> dict[str, Any]:
        self._next_id += 1
        family = WORKOUT_TYPES.get(type_id, "gym")
        created = start + timedelta(seconds=seconds, minutes=2)
        paused = float(rng.randint(0, 120)) if family in ("ride", "run") else 0.0
        active = seconds - paused
        speed = {"ride": rng.uniform(6, 11), "run": rng.uniform(2.5, 4.2), "walk": rng.uniform(1.1, 1.7),
                 "swim": rng.uniform(0.6, 1.1)}.get(family)  # fmt: skip
        power = rng.uniform(140, 260) if family == "ride" else None
        summary = None
        if completed:
            summary = {
                "id": self._next_id + 900_000,
                "name": f"{family.title()} {start:%a}",
                "ascent_accum": _dec(rng.uniform(0, 900) if family in ("ride", "run", "walk") else None),
                "cadence_avg": _dec(rng.uniform(70, 95) if family == "ride" else None),
                "calories_accum": _dec(rng.uniform(150, 1800)),
                "distance_accum": _dec(speed * active if speed else None),
                "duration_active_accum": _dec(active),
                "duration_paused_accum": _dec(paused),
                "duration_total_accum": _dec(float(seconds)),
                "heart_rate_avg": _dec(rng.uniform(105, 165)),
                "power_bike_np_last": _dec(power * 1.06 if power else None),
                "power_bike_tss_last": _dec(rng.uniform(20, 200) if power else None),
                "power_avg": _dec(power),
                "speed_avg": _dec(speed),
                "work_accum": _dec(power * active if power else None),
                "time_zone": self.cfg.time_zone,
                "manual": False,
                "edited": False,
                "fitness_app_id": rng.choice([1, 3, 1002]),
                "file": {"url": f"{self.base_url}/files/{self._next_id}.fit"},
                "created_at": _ts(created),
                "updated_at": _ts(created),
            }
        return {
            "id": self._next_id,
            "starts": _ts(start),
            "minutes": max(1, round(seconds / 60)),
            "name": f"{family.title()} workout",
            "plan_id": None,
            "plan_ids": [],
            "route_id": None,
            "workout_token": str(self._next_id),
            "workout_type_id": type_id,
            "workout_summary": summary,
            "created_at": _ts(created),
            "updated_at": _ts(created),
        }

    def _make_day(self, i: int) -> None:
        day = self.cfg.first_day + timedelta(days=i)
        rng = random.Random(f"{self.cfg.seed}-{day}")
        if rng.random() >= self.cfg.workout_share:
            return
        start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
            hours=rng.randint(6, 18), minutes=rng.randint(0, 59)
        )
        # the last day's workout is only planned: no summary yet
        is_last = i == self.cfg.days - 1
        self.workouts.append(
            self._workout(start, rng.randint(20, 150) * 60, rng.choice(list(WORKOUT_TYPES)), rng, not is_last)
        )

    # -- OAuth hooks -------------------------------------------------------------------------------------
    def route_oauth(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Any:
        if path.startswith("/files/") and method == "GET":
            # `file.url`: the workout's FIT file, no bearer token (a file host, not the API); 404 unless attached
            data = self.fit_files.get(path[len("/files/") :])
            with self._lock:
                self.stats["file_downloads"] += 1
            return (200, {}, data) if data else (404, {}, {"error": "Not Found"})
        if path == "/oauth/authorize" and method == "GET":
            return self.authorize(query)
        if path == "/oauth/token" and method == "POST":
            status, body = self.token({**query, **form})  # documented in the query string; a form works too
            return status, {}, body
        return None

    def _token_response(self, grant: Any) -> dict[str, Any]:
        body = super()._token_response(grant)
        body.pop("expires_at", None)  # Wahoo answers expires_in (and created_at) only
        body["token_type"] = "bearer"
        body["created_at"] = int(time.time())
        return body

    def check_bearer(self, headers: Any) -> Any:
        grant = super().check_bearer(headers)
        if grant is None:
            return None
        token = headers.get("Authorization", "")[len("Bearer ") :]
        with self._lock:
            newest = list(grant.access_tokens)[-1]
            if token == newest and len(grant.access_tokens) > 1:
                # the first call with a refreshed token revokes the older access tokens
                for old in list(grant.access_tokens)[:-1]:
                    del grant.access_tokens[old]
                    self._by_access.pop(old, None)
                    self.stats["revoked_on_use"] += 1
        return grant

    def rate_limit_headers(self, usage: dict[str, tuple[int, int]]) -> dict[str, str]:
        if not self.config.limits:
            return {}
        short, day = self.config.limits["overall"]
        window_s = self.config.window_lengths_s[0]
        used_short, used_day = usage.get("overall", (0, 0))
        now = time.time()
        hour = int(now // 3600)
        with self._lock:
            self._hour_counts[hour] = self._hour_counts.get(hour, 0) + 1
            used_hour = self._hour_counts[hour]
        remaining = (
            max(0, day - used_day),
            max(0, self.cfg.hour_limit - used_hour),
            max(0, short - used_short),
        )
        return {
            "X-RateLimit-Limit": f"{day}, {self.cfg.hour_limit}, {short}",
            "X-RateLimit-Remaining": ", ".join(str(r) for r in remaining),
            "X-RateLimit-Reset": str(int((now // window_s + 1) * window_s - now) if remaining[2] == 0 else 0),
        }

    def throttled_response(self) -> tuple[int, Any]:
        return 429, {"error": "Too Many Requests"}

    def unauthorized_body(self) -> Any:
        return {"error": "Unauthorized"}

    # -- API ---------------------------------------------------------------------------------------------
    def _page(self, query: dict[str, str]) -> tuple[int, Any]:
        try:
            page = int(query.get("page") or 1)
            per_page = int(query.get("per_page") or 30)
        except ValueError:
            return 400, {"error": "Bad Request"}
        if page < 1 or per_page < 1:
            return 400, {"error": "Bad Request"}
        items = sorted(self.workouts, key=lambda w: w["starts"], reverse=True)  # always newest first
        chunk = items[(page - 1) * per_page : page * per_page]
        for doc in chunk:
            self.served[str(doc["id"])] += 1
        return 200, {
            "workouts": chunk,
            "total": len(items),
            "page": page,
            "per_page": per_page,
            "order": "descending",
            "sort": "starts",
        }

    def route(self, method: str, path: str, query: dict[str, str], grant: Any) -> tuple[int, Any]:
        if "user_read" not in grant.scope.split():
            return 403, {"error": "Forbidden"}  # documented: without user_read every call is 403
        if method == "DELETE" and path == "/permissions":
            with self._lock:
                grant.revoked = True
                self.stats["revoked"] += 1
            return 200, {}
        if method != "GET":
            return 405, {"error": "Method Not Allowed"}
        if path == "/user":
            return 200, {
                "id": self.cfg.user_id,
                "height": "1.80",
                "weight": "72.50",
                "first": "Alex",
                "last": "Example",
                "email": "athlete@example.org",
                "birth": "1990-04-02",
                "gender": 1,
                "created_at": "2018-10-23T15:38:23.000Z",
                "updated_at": "2018-10-24T20:46:40.000Z",
            }
        if "workouts_read" not in grant.scope.split():
            return 403, {"error": "Forbidden"}
        if path == "/workouts":
            return self._page(query)
        parts = path.strip("/").split("/")
        if len(parts) in (2, 3) and parts[0] == "workouts" and parts[1].isdigit():
            found = next((w for w in self.workouts if w["id"] == int(parts[1])), None)
            if found is None:
                return 404, {"error": "Not Found"}
            if len(parts) == 2:
                return 200, found
            if parts[2] == "workout_summary":
                return 200, found["workout_summary"]
        return 404, {"error": "Not Found"}

    # -- test controls -----------------------------------------------------------------------------------
    def attach_fit(self, workout: dict[str, Any], data: bytes) -> None:
        """Serve `data` at the workout's `file.url`."""
        self.fit_files[workout["workout_summary"]["file"]["url"].rsplit("/", 1)[-1]] = data

    def add_workout(self, start: datetime, seconds: int, type_id: int) -> dict[str, Any]:
        """A workout recorded after the first sync (for incremental tests)."""
        with self._lock:
            doc = self._workout(start, seconds, type_id, random.Random(start.isoformat()))
            self.workouts.append(doc)
            return doc
