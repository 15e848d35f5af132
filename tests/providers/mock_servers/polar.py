"""A Polar AccessLink v3 stand-in on 127.0.0.1 with a deterministic synthetic history.

Built from the official Polar AccessLink OpenAPI document (OpenAPI 3.0.0, `info.version` v3, servers
`https://www.polaraccesslink.com/`), as vendored by tryAGI/Polar at commit
2d7522aef6604908b476c4f22ac9cd2f6149516d, file src/libs/Polar/openapi.yaml (POLAR_ACCESSLINK.md beside this
file records what was taken from it; the document declares the Polar Electro AccessLink Limited License, so
it is not copied). Documents follow its schemas (exerciseHashId with sample / zone / location, sleep, nights,
nightly-recharge, recharges, activity-summary-with-all-samples, continuous-heartrate, user, register);
values are generated.

    GET  /oauth2/authorization           auto-approve, 302 to the loopback redirect_uri (flow.polar.com)
    POST /v2/oauth2/token                authorization_code only, client authenticated by HTTP Basic
                                         (polarremote.com); answers access_token, token_type, expires_in
                                         (about ten years) and x_user_id; no refresh token
    POST /v3/users                       register {"member-id"}: 200 the user, 409 when registered already
    GET  /v3/users/{user-id}             the user (registration-date); 204 for another user
    GET  /v3/exercises                   exercises uploaded in the last 30 days after registration;
                                         samples / zones / route flags add samples, heart_rate_zones, route
    GET  /v3/exercises/{id}/fit          the exercise's FIT file (bytes), 404 without one
    GET  /v3/users/sleep                 {"nights": [...]} the last 28 days
    GET  /v3/users/nightly-recharge      {"recharges": [...]} the last 28 days
    GET  /v3/users/activities            ?from&to (at most 28 days, from within 365 days, else 400): a list
    GET  /v3/users/continuous-heart-rate ?from&to: {"heart_rates": [continuous-heartrate, ...]} (the document
                                         declares one object for a range; a range holds several dates)
Every data endpoint answers 403 before the user is registered (AccessLink: consents / registration missing).
Rate limits: 500 + 20 x users per 15 minutes and 5,000 + 100 x users per day (fixed windows; both scalable),
429 beyond them, with `RateLimit-Usage`, `RateLimit-Limit`, `RateLimit-Reset` as comma pairs (short, long).
401 on a bad token.
"""

from __future__ import annotations

import base64
import hashlib
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .base import MockConfig, MockProvider

# Polar sport names (exercise `sport`) the history draws from, with whether they carry a route
SPORTS = (("RUNNING", True), ("CYCLING", True), ("WALKING", True), ("STRENGTH_TRAINING", False))
DEVICE = ("Polar Vantage V2", "A1B2C3D4")
TEN_YEARS_S = 315_359_999


@dataclass
class PolarMockConfig(MockConfig):
    days: int = 60  # history length, ending at `today`
    today: date = field(default_factory=lambda: date(2024, 5, 10))
    registered_days_ago: int = 45  # the user registered with the app this many days before `today`
    user_id: int = 2278512
    utc_offset_min: int = 120
    access_token_ttl_s: float = TEN_YEARS_S
    limits: dict[str, tuple[int, int]] | None = field(default_factory=lambda: {"overall": (520, 5_100)})
    send_retry_after: bool = False
    exercise_share: float = 0.6
    # extra exercises: (start UTC, seconds, sport), e.g. the same run a FIT file recorded
    extra_exercises: list[tuple[datetime, int, str]] = field(default_factory=list)


def _hash_id(*parts: Any) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()[:8].upper()


def _iso_duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{secs}S"


class PolarMock(MockProvider):
    name = "polar"
    api_prefix = "/v3"

    def __init__(self, config: PolarMockConfig | None = None, **kwargs: Any):
        config = config or PolarMockConfig()
        super().__init__(config, **kwargs)
        self.cfg: PolarMockConfig = config
        self.registered_at: datetime | None = None
        self.registrations: list[str] = []
        self.exercises: list[dict[str, Any]] = []  # full documents (samples, zones, route included)
        self.nights: list[dict[str, Any]] = []
        self.recharges: list[dict[str, Any]] = []
        self.activities: list[dict[str, Any]] = []
        self.heart_rates: list[dict[str, Any]] = []
        self.fit_files: dict[str, bytes] = {}
        for i in range(config.days):
            self._make_day(self.first_day + timedelta(days=i))
        for n, (start, seconds, sport) in enumerate(config.extra_exercises):
            self.exercises.append(
                self._exercise(_hash_id("extra", n), start, seconds, sport, random.Random(n))
            )

    @property
    def first_day(self) -> date:
        return self.cfg.today - timedelta(days=self.cfg.days - 1)

    @property
    def registration_day(self) -> date:
        return self.cfg.today - timedelta(days=self.cfg.registered_days_ago)

    def env(self) -> dict[str, str]:
        env = {
            "OPENFIT_POLAR_CLIENT_ID": self.config.client_id,
            "OPENFIT_POLAR_CLIENT_SECRET": self.config.client_secret,
            "OPENFIT_POLAR_AUTH_URL": f"{self.base_url}/oauth2/authorization",
            "OPENFIT_POLAR_TOKEN_URL": f"{self.base_url}/v2/oauth2/token",
            "OPENFIT_POLAR_API_BASE_URL": self.base_url,
            "OPENFIT_POLAR_RATE_WINDOW_SHORT_S": str(self.cfg.window_lengths_s[0]),
            "OPENFIT_POLAR_RATE_WINDOW_LONG_S": str(self.cfg.window_lengths_s[1]),
        }
        if self.cfg.limits:  # the mock's limits whatever the number of users (no per-user share)
            env["OPENFIT_POLAR_RATE_LIMIT_SHORT_BASE"] = str(self.cfg.limits["overall"][0])
            env["OPENFIT_POLAR_RATE_LIMIT_LONG_BASE"] = str(self.cfg.limits["overall"][1])
            env["OPENFIT_POLAR_RATE_LIMIT_SHORT_PER_USER"] = "0"
            env["OPENFIT_POLAR_RATE_LIMIT_LONG_PER_USER"] = "0"
        return env

    def register_directly(self) -> None:
        """The user registered with the app (tests that start from an existing connection)."""
        with self._lock:
            self.registered_at = datetime.combine(self.registration_day, datetime.min.time(), tzinfo=UTC)

    # -- data --------------------------------------------------------------------------------------------
    def _exercise(
        self, eid: str, start: datetime, seconds: int, sport: str, rng: random.Random
    ) -> dict[str, Any]:
        routed = dict(SPORTS).get(sport, False)
        local = start + timedelta(minutes=self.cfg.utc_offset_min)
        hr = [rng.randint(110, 170) for _ in range(seconds)]
        speed_kmh = [round(rng.uniform(8, 14) if sport == "RUNNING" else rng.uniform(20, 32), 1)
                     for _ in range(seconds)]  # fmt: skip
        distance = sum(s / 3.6 for s in speed_kmh) if routed else None
        doc: dict[str, Any] = {
            "id": eid,
            "upload_time": (start + timedelta(seconds=seconds + 600))
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "polar_user": f"https://www.polaraccesslink.com/v3/users/{self.cfg.user_id}",
            "device": DEVICE[0],
            "device_id": DEVICE[1],
            "start_time": local.replace(tzinfo=None).isoformat(timespec="seconds"),
            "start_time_utc_offset": self.cfg.utc_offset_min,
            "duration": _iso_duration(seconds),
            "calories": rng.randint(200, 900),
            "heart_rate": {"average": round(sum(hr) / len(hr)), "maximum": max(hr)},
            "training_load": round(rng.uniform(20, 200), 2),
            "sport": sport,
            "has_route": routed,
            "detailed_sport_info": {"RUNNING": "RUNNING_ROAD", "CYCLING": "CYCLING_ROAD"}.get(sport, sport),
            "heart_rate_zones": [
                {
                    "index": i,
                    "lower-limit": 100 + 16 * i,
                    "upper-limit": 116 + 16 * i,
                    "in-zone": _iso_duration(rng.randint(0, seconds // 5)),
                }
                for i in range(1, 6)
            ],  # fmt: skip
            "samples": [
                {"recording-rate": 1, "sample-type": "0", "data": ",".join(map(str, hr))},
            ],
        }
        if routed:
            doc["distance"] = round(distance, 1)
            doc["samples"].append(
                {"recording-rate": 1, "sample-type": "1", "data": ",".join(map(str, speed_kmh))}
            )
            doc["route"] = [
                {"latitude": round(60.2 + 0.0001 * i, 7), "longitude": round(24.9 + 0.0001 * i, 7),
                 "time": f"PT{i}S", "satellites": 9, "fix": 3}
                for i in range(0, seconds, 10)
            ]  # fmt: skip
        return doc

    def _make_day(self, day: date) -> None:
        rng = random.Random(f"{self.cfg.seed}-{day}")
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        offset = timedelta(minutes=self.cfg.utc_offset_min)
        onset = midnight - timedelta(hours=1) + timedelta(minutes=rng.randint(0, 90))
        asleep_s = rng.randint(6 * 3600, 8 * 3600)
        wake = onset + timedelta(seconds=asleep_s)
        deep, rem = rng.randint(3000, 6000), rng.randint(4000, 7000)
        interruptions = rng.randint(600, 2400)
        light = asleep_s - deep - rem - interruptions
        hypnogram: dict[str, int] = {}
        at, stage = onset, 2
        while at < wake:
            hypnogram[(at + offset).strftime("%H:%M")] = stage
            at += timedelta(minutes=rng.randint(15, 60))
            stage = rng.choice((0, 1, 2, 3, 4))
        local = timezone_of(self.cfg.utc_offset_min)
        self.nights.append(
            {
                "polar_user": f"https://www.polaraccesslink.com/v3/users/{self.cfg.user_id}",
                "date": day.isoformat(),
                "sleep_start_time": onset.astimezone(local).isoformat(),
                "sleep_end_time": wake.astimezone(local).isoformat(),
                "device_id": DEVICE[1],
                "continuity": round(rng.uniform(1, 5), 1),
                "continuity_class": rng.randint(1, 5),
                "light_sleep": light,
                "deep_sleep": deep,
                "rem_sleep": rem,
                "unrecognized_sleep_stage": 0,
                "sleep_score": rng.randint(50, 95),
                "total_interruption_duration": interruptions,
                "sleep_charge": rng.randint(1, 5),
                "sleep_goal": 28800,
                "sleep_rating": rng.randint(0, 5),
                "short_interruption_duration": interruptions // 2,
                "long_interruption_duration": interruptions - interruptions // 2,
                "sleep_cycles": rng.randint(3, 6),
                "group_duration_score": 100.0,
                "group_solidity_score": 75.0,
                "group_regeneration_score": 54.2,
                "hypnogram": hypnogram,
                "heart_rate_samples": {
                    (onset + offset + timedelta(minutes=5 * k)).strftime("%H:%M"): rng.randint(45, 70)
                    for k in range(0, asleep_s // 300, 6)
                },
            }
        )
        self.recharges.append(
            {
                "polar_user": f"https://www.polaraccesslink.com/v3/users/{self.cfg.user_id}",
                "date": day.isoformat(),
                "heart_rate_avg": rng.randint(45, 65),
                "beat_to_beat_avg": rng.randint(850, 1200),
                "heart_rate_variability_avg": rng.randint(20, 90),
                "breathing_rate_avg": round(rng.uniform(12, 17), 1),
                "nightly_recharge_status": rng.randint(1, 6),
                "ans_charge": round(rng.uniform(-10, 10), 1),
                "ans_charge_status": rng.randint(1, 5),
                "hrv_samples": {"00:41": 14, "00:46": 14, "00:51": 15},
                "breathing_samples": {"00:39": 13.4, "00:44": 13.5},
            }
        )
        steps = rng.randint(3000, 16000)
        self.activities.append(
            {
                "start_time": f"{day.isoformat()}T00:00:00",
                "end_time": f"{day.isoformat()}T23:59:59",
                "active_duration": _iso_duration(rng.randint(3600, 4 * 3600)),
                "inactive_duration": _iso_duration(rng.randint(10 * 3600, 16 * 3600)),
                "daily_activity": round(rng.uniform(40, 140), 1),
                "calories": rng.randint(1900, 3200),
                "active_calories": rng.randint(300, 1200),
                "steps": steps,
                "inactivity_alert_count": rng.randint(0, 3),
                "distance_from_steps": round(steps * 0.75, 2),
            }
        )
        self.heart_rates.append(
            {
                "polar_user": f"https://polaraccesslink.com/v3/users/{self.cfg.user_id}",
                "date": day.isoformat(),
                "heart_rate_samples": [
                    {"heart_rate": rng.randint(50, 110), "sample_time": f"{h:02d}:{m:02d}:08"}
                    for h in range(0, 24, 3)
                    for m in (2, 32)
                ],
            }
        )
        if rng.random() < self.cfg.exercise_share:
            sport, _ = rng.choice(SPORTS)
            start = midnight + timedelta(hours=rng.randint(6, 18), minutes=rng.randint(0, 59))
            self.exercises.append(
                self._exercise(_hash_id("ex", day), start, rng.randint(20, 90) * 6, sport, rng)
            )

    # -- what the API serves -----------------------------------------------------------------------------
    def _registered_since(self) -> datetime:
        assert self.registered_at is not None
        return self.registered_at

    def listed_exercises(self) -> list[dict[str, Any]]:
        """Exercises /v3/exercises lists: uploaded in the 30 days up to `today`, after the registration."""
        today_end = datetime.combine(self.cfg.today + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
        oldest = max(today_end - timedelta(days=30), self._registered_since())
        return [e for e in self.exercises if oldest <= _instant(e["upload_time"]) < today_end]

    def listed_nights(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The last 28 days' nights (or recharges), after the registration."""
        oldest = max(self.cfg.today - timedelta(days=27), self._registered_since().date())
        return [d for d in docs if oldest <= date.fromisoformat(d["date"]) <= self.cfg.today]

    def in_range(self, docs: list[dict[str, Any]], start: date, end: date) -> list[dict[str, Any]]:
        def day_of(d: dict[str, Any]) -> date:
            return date.fromisoformat((d.get("date") or d["start_time"])[:10])

        oldest = max(start, self._registered_since().date())
        return [d for d in docs if oldest <= day_of(d) <= min(end, self.cfg.today)]

    def attach_fit(self, exercise: dict[str, Any], data: bytes) -> None:
        self.fit_files[exercise["id"]] = data

    # -- hooks -------------------------------------------------------------------------------------------
    def route_oauth(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Any:
        if path == "/oauth2/authorization" and method == "GET":
            return self.authorize(query)
        if path == "/v2/oauth2/token" and method == "POST":
            headers = getattr(self.request_headers, "value", None)
            auth = headers.get("Authorization", "") if headers is not None else ""
            expected = base64.b64encode(
                f"{self.config.client_id}:{self.config.client_secret}".encode()
            ).decode()
            if auth != f"Basic {expected}":  # Polar authenticates the client by HTTP Basic only
                return 401, {}, {"error": "invalid_client"}
            if form.get("grant_type") != "authorization_code":
                return 400, {}, {"error": "unsupported_grant_type"}  # no refresh tokens at Polar
            status, body = self.token({**form, "client_id": self.config.client_id,
                                       "client_secret": self.config.client_secret})  # fmt: skip
            return status, {}, body
        return None

    def athlete_id(self) -> int:
        return self.cfg.user_id

    def _token_response(self, grant: Any) -> dict[str, Any]:
        access, _expires_at = self._new_access(grant)
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": int(self.config.access_token_ttl_s),
            "x_user_id": self.cfg.user_id,
        }

    def issue_tokens(self, athlete_id: int = 1, scope: str = "accesslink.read_all") -> dict[str, Any]:
        token = super().issue_tokens(athlete_id=self.cfg.user_id, scope=scope)
        return token

    def unauthorized_body(self) -> Any:
        return None

    def rate_limit_headers(self, usage: dict[str, tuple[int, int]]) -> dict[str, str]:
        if not self.config.limits:
            return {}
        short, long = self.config.limits["overall"]
        window_s, day_s = self.config.window_lengths_s
        used = usage.get("overall", (0, 0))
        now = time.time()
        return {
            "RateLimit-Usage": f"{used[0]},{used[1]}",
            "RateLimit-Limit": f"{short},{long}",
            "RateLimit-Reset": f"{int((now // window_s + 1) * window_s - now) + 1},"
            f"{int((now // day_s + 1) * day_s - now) + 1}",
        }

    def throttled_response(self) -> tuple[int, Any]:
        return 429, {"status": 429, "errorType": "TOO_MANY_REQUESTS", "message": "Rate limit exceeded"}

    def _error(self, status: int, message: str) -> tuple[int, Any]:
        return status, {"timestamp": datetime.now(UTC).isoformat(), "status": status,
                        "errorType": "ERROR", "message": message, "corrId": secrets.token_hex(8)}  # fmt: skip

    def _user(self) -> dict[str, Any]:
        return {
            "polar-user-id": self.cfg.user_id,
            "member-id": self.registrations[0] if self.registrations else "member",
            "registration-date": self._registered_since()
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "first-name": "Eka",
            "last-name": "Toka",
            "birthdate": "1985-09-06",
            "gender": "MALE",
            "weight": 66.0,
            "height": 170.0,
        }

    def route(self, method: str, path: str, query: dict[str, str], grant: Any) -> tuple[int, Any]:
        if method == "POST" and path == "/users":
            member_id = query.get("member-id")
            if not isinstance(member_id, str) or not member_id:
                return self._error(400, "member-id is required")
            with self._lock:
                if self.registered_at is not None:
                    self.stats["register_conflict"] += 1
                    return self._error(409, "User already registered to partner or duplicated member-id")
                self.registered_at = datetime.combine(self.registration_day, datetime.min.time(), tzinfo=UTC)
                self.registrations.append(member_id)
                self.stats["registered"] += 1
            return 200, self._user()
        if method != "GET":
            return 405, None
        if self.registered_at is None:
            return self._error(403, "User has not accepted all mandatory consents")
        if path == f"/users/{self.cfg.user_id}":
            return 200, self._user()
        if path.startswith("/users/") and path.count("/") == 2 and path[7:].isdigit():
            return 204, None
        if path == "/exercises":
            flags = {name: query.get(name) == "true" for name in ("samples", "zones", "route")}
            docs = []
            for doc in self.listed_exercises():
                shown = {k: v for k, v in doc.items() if k not in ("samples", "heart_rate_zones", "route")}
                if flags["samples"]:
                    shown["samples"] = doc["samples"]
                if flags["zones"]:
                    shown["heart_rate_zones"] = doc["heart_rate_zones"]
                if flags["route"] and "route" in doc:
                    shown["route"] = doc["route"]
                docs.append(shown)
                self.served[f"exercise:{doc['id']}"] += 1
            return 200, docs
        if path.startswith("/exercises/") and path.endswith("/fit"):
            eid = path.split("/")[2]
            listed = {e["id"] for e in self.listed_exercises()}
            if eid not in listed or eid not in self.fit_files:
                return self._error(404, "Exercise not found")
            self.stats["fit_downloads"] += 1
            return 200, self.fit_files[eid]
        if path == "/users/sleep":
            return 200, {"nights": self.listed_nights(self.nights)}
        if path == "/users/nightly-recharge":
            return 200, {"recharges": self.listed_nights(self.recharges)}
        if path in ("/users/activities", "/users/continuous-heart-rate"):
            try:
                start = date.fromisoformat(query["from"])
                end = date.fromisoformat(query.get("to") or self.cfg.today.isoformat())
            except (KeyError, ValueError):
                return self._error(400, "Invalid request")
            if end < start or (end - start).days > 27:
                return self._error(400, "Maximum range between from and to is 28 days")
            if start < self.cfg.today - timedelta(days=365):
                return self._error(400, "Invalid or too old date. Cannot be older than 365 days.")
            if path == "/users/activities":
                return 200, self.in_range(self.activities, start, end)
            return 200, {"heart_rates": self.in_range(self.heart_rates, start, end)}
        return self._error(404, "Not found")


def _instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def timezone_of(offset_min: int) -> Any:
    from datetime import timezone

    return timezone(timedelta(minutes=offset_min))
