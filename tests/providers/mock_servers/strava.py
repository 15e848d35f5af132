"""A Strava API v3 stand-in on 127.0.0.1, serving a deterministic synthetic history.

Payloads follow the shapes of Strava's swagger examples (SummaryActivity, DetailedActivity, Lap, StreamSet
keyed by type, Zones, DetailedAthlete); values are generated, not copied. Endpoints:

    GET  /oauth/authorize            auto-approve, 302 to the loopback redirect_uri with code + state
    POST /oauth/token                authorization_code / refresh_token (single-use refresh tokens)
    POST /oauth/deauthorize          revoke the grant of `access_token`
    GET  /api/v3/athlete, /athlete/zones
    GET  /api/v3/athlete/activities  before / after / page / per_page (ascending when `after` is given)
    GET  /api/v3/activities/{id}, /activities/{id}/laps, /activities/{id}/streams?keys=..&key_by_type=true

Every API response carries X-RateLimit-* and X-ReadRateLimit-* headers over fixed windows aligned to the
epoch (Strava: quarter hours and UTC days; the window lengths are configurable so benchmarks can scale time).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .base import MockConfig, MockProvider

STRAVA_LIMITS = {"overall": (200, 2000), "read": (100, 1000)}
STREAM_TYPES = [
    "time",
    "distance",
    "latlng",
    "altitude",
    "velocity_smooth",
    "heartrate",
    "cadence",
    "watts",
    "temp",
    "moving",
    "grade_smooth",
]
_SPORTS = [
    ("Run", "Run", 3.1),
    ("Ride", "Ride", 8.2),
    ("Run", "TrailRun", 2.6),
    ("Ride", "VirtualRide", 9.0),
    ("Swim", "Swim", 0.9),
    ("Walk", "Walk", 1.4),
]


@dataclass
class StravaMockConfig(MockConfig):
    activities: int = 25
    first_start: datetime = field(default_factory=lambda: datetime(2021, 1, 4, 6, 30, tzinfo=UTC))
    days_between: float = 1.3
    max_stream_points: int = 240
    athlete: int = 4_242_001


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


class StravaMock(MockProvider):
    name = "strava"
    api_prefix = "/api/v3"

    def __init__(self, config: StravaMockConfig | None = None, **kwargs: Any):
        config = config or StravaMockConfig()
        if config.limits is None:
            config.limits = dict(STRAVA_LIMITS)
        super().__init__(config, **kwargs)
        self.cfg: StravaMockConfig = config
        self._activities = [self._make_summary(i) for i in range(config.activities)]
        self._by_id = {a["id"]: i for i, a in enumerate(self._activities)}

    # -- URLs for settings -------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """OPENFIT_STRAVA_* variables pointing the production code at this server."""
        return {
            "OPENFIT_STRAVA_CLIENT_ID": self.config.client_id,
            "OPENFIT_STRAVA_CLIENT_SECRET": self.config.client_secret,
            "OPENFIT_STRAVA_AUTH_URL": f"{self.base_url}/oauth/authorize",
            "OPENFIT_STRAVA_TOKEN_URL": f"{self.base_url}/oauth/token",
            "OPENFIT_STRAVA_REVOKE_URL": f"{self.base_url}/oauth/deauthorize",
            "OPENFIT_STRAVA_API_BASE_URL": f"{self.base_url}/api/v3",
            "OPENFIT_STRAVA_RATE_WINDOW_SHORT_S": str(self.config.window_lengths_s[0]),
            "OPENFIT_STRAVA_RATE_WINDOW_LONG_S": str(self.config.window_lengths_s[1]),
        }

    # -- data --------------------------------------------------------------------------------------------
    def edit_activity(self, index: int, **changes: Any) -> None:
        """Simulate a user editing an activity on Strava (e.g. renaming it)."""
        with self._lock:
            self._activities[index].update(changes)

    def add_activity(self) -> dict[str, Any]:
        """Simulate the athlete uploading a new activity (after the last one); returns its summary."""
        with self._lock:
            summary = self._make_summary(len(self._activities))
            self._activities.append(summary)
            self._by_id[summary["id"]] = len(self._activities) - 1
            return summary

    @property
    def activity_ids(self) -> list[int]:
        return [a["id"] for a in self._activities]

    def _make_summary(self, i: int) -> dict[str, Any]:
        rng = random.Random(self.cfg.seed * 1_000_003 + i)
        kind, sport, speed = _SPORTS[rng.randrange(len(_SPORTS))]
        start = self.cfg.first_start + timedelta(days=i * self.cfg.days_between, minutes=rng.randint(0, 600))
        moving = rng.randint(1500, 7200)
        elapsed = moving + rng.randint(0, 600)
        distance = round(moving * speed * rng.uniform(0.85, 1.15), 1)
        indoor = sport == "VirtualRide"
        has_power = kind == "Ride"
        lat, lng = 47.3769 + rng.uniform(-0.05, 0.05), 8.5417 + rng.uniform(-0.05, 0.05)
        aid = 9_000_000_000 + i * 7919 + rng.randint(0, 7000)
        return {
            "resource_state": 2,
            "athlete": {"id": self.cfg.athlete, "resource_state": 1},
            "name": f"{sport} #{i + 1}",
            "distance": distance,
            "moving_time": moving,
            "elapsed_time": elapsed,
            "total_elevation_gain": round(rng.uniform(0, 600), 1),
            "type": kind,
            "sport_type": sport,
            "workout_type": None,
            "id": aid,
            "external_id": f"mock_{aid}.fit",
            "upload_id": aid * 3,
            "start_date": _iso(start),
            "start_date_local": _iso(start + timedelta(hours=1)),
            "timezone": "(GMT+01:00) Europe/Zurich",
            "utc_offset": 3600.0,
            "start_latlng": None if indoor else [round(lat, 6), round(lng, 6)],
            "end_latlng": None if indoor else [round(lat + 0.001, 6), round(lng + 0.001, 6)],
            "location_city": None,
            "location_state": None,
            "location_country": "Switzerland",
            "achievement_count": rng.randint(0, 5),
            "kudos_count": rng.randint(0, 30),
            "comment_count": rng.randint(0, 3),
            "athlete_count": 1,
            "photo_count": 0,
            "map": {
                "id": f"a{aid}",
                "summary_polyline": None if indoor else "_p~iF~ps|U_ulLnnqC_mqNvxq`@",
                "resource_state": 2,
            },
            "device_name": "Garmin Forerunner 965" if kind != "Ride" else "Wahoo ELEMNT BOLT",
            "trainer": indoor,
            "commute": False,
            "manual": False,
            "private": False,
            "flagged": False,
            "gear_id": "g1122334" if kind != "Ride" else "b5566778",
            "from_accepted_tag": False,
            "average_speed": round(distance / moving, 3),
            "max_speed": round(distance / moving * 1.8, 3),
            "average_cadence": round(rng.uniform(75, 92), 1),
            "average_watts": round(rng.uniform(150, 260), 1) if has_power else None,
            "weighted_average_watts": rng.randint(170, 280) if has_power else None,
            "kilojoules": round(moving * 0.2, 1) if has_power else None,
            "device_watts": has_power,
            "has_heartrate": True,
            "average_heartrate": round(rng.uniform(125, 160), 1),
            "max_heartrate": float(rng.randint(165, 192)),
            "max_watts": rng.randint(400, 900) if has_power else None,
            "pr_count": rng.randint(0, 3),
            "total_photo_count": 0,
            "has_kudoed": False,
            "suffer_score": float(rng.randint(20, 250)),
        }

    def _detail(self, summary: dict[str, Any]) -> dict[str, Any]:
        detail = dict(summary)
        detail.update(
            resource_state=3,
            description=None,
            calories=round(summary["moving_time"] * 0.18, 1),
            average_temp=18,
            elev_high=round(420 + summary["total_elevation_gain"], 1),
            elev_low=410.0,
            embed_token="e" + str(summary["id"])[-8:],
            gear={
                "id": summary["gear_id"],
                "primary": True,
                "name": "Mock gear",
                "resource_state": 2,
                "distance": 1_234_567,
            },
            hide_from_home=False,
            highlighted_kudosers=[],
            leaderboard_opt_out=False,
            partner_brand_tag=None,
            photos={"primary": None, "count": 0},
            segment_efforts=[],
            segment_leaderboard_opt_out=False,
            splits_metric=self._splits(summary),
            laps=self._laps(summary),
        )
        return detail

    def _splits(self, summary: dict[str, Any]) -> list[dict[str, Any]]:
        km = max(1, int(summary["distance"] // 1000))
        per = summary["moving_time"] / km
        return [
            {
                "distance": 1000.0,
                "elapsed_time": int(per),
                "elevation_difference": 0.0,
                "moving_time": int(per),
                "split": i + 1,
                "average_speed": round(1000 / per, 2),
                "pace_zone": 2,
            }
            for i in range(min(km, 60))
        ]

    def _laps(self, summary: dict[str, Any]) -> list[dict[str, Any]]:
        count = 1 + summary["id"] % 4
        moving, distance = summary["moving_time"] // count, summary["distance"] / count
        start = datetime.fromisoformat(summary["start_date"].replace("Z", "+00:00"))
        points = self._points(summary)
        laps = []
        for n in range(count):
            lap_start = start + timedelta(seconds=n * moving)
            laps.append(
                {
                    "id": summary["id"] * 10 + n,
                    "resource_state": 2,
                    "name": f"Lap {n + 1}",
                    "activity": {"id": summary["id"], "resource_state": 1},
                    "athlete": {"id": self.cfg.athlete, "resource_state": 1},
                    "elapsed_time": moving,
                    "moving_time": moving,
                    "start_date": _iso(lap_start),
                    "start_date_local": _iso(lap_start + timedelta(hours=1)),
                    "distance": round(distance, 1),
                    "start_index": n * points // count,
                    "end_index": (n + 1) * points // count - 1,
                    "total_elevation_gain": round(summary["total_elevation_gain"] / count, 1),
                    "average_speed": summary["average_speed"],
                    "max_speed": summary["max_speed"],
                    "average_cadence": summary["average_cadence"],
                    "device_watts": summary["device_watts"],
                    "average_watts": summary["average_watts"],
                    "lap_index": n + 1,
                    "split": n + 1,
                }
            )
        return laps

    def _points(self, summary: dict[str, Any]) -> int:
        return min(self.cfg.max_stream_points, summary["elapsed_time"])

    def _streams(self, summary: dict[str, Any], keys: list[str]) -> dict[str, Any]:
        n = self._points(summary)
        step = summary["elapsed_time"] / n
        rng = random.Random(summary["id"])
        speed = summary["average_speed"]
        time_s = [int(i * step) for i in range(n)]
        lat0, lng0 = summary["start_latlng"] or (None, None)
        series: dict[str, list[Any]] = {
            "time": time_s,
            "distance": [round(t * speed, 1) for t in time_s],
            "altitude": [round(410 + 30 * math.sin(i / 25), 1) for i in range(n)],
            "velocity_smooth": [round(speed * rng.uniform(0.8, 1.2), 2) for _ in range(n)],
            "heartrate": [int(summary["average_heartrate"] + 10 * math.sin(i / 40)) for i in range(n)],
            "cadence": [int(summary["average_cadence"] + rng.randint(-4, 4)) for _ in range(n)],
            "temp": [18 + (i * 3) // max(n, 1) for i in range(n)],
            "moving": [True] * n,
            "grade_smooth": [round(3 * math.cos(i / 25), 1) for i in range(n)],
        }
        if lat0 is not None:
            series["latlng"] = [[round(lat0 + i * 1e-4, 6), round(lng0 + i * 1e-4, 6)] for i in range(n)]
        if summary["device_watts"]:
            series["watts"] = [int(summary["average_watts"] + rng.randint(-40, 40)) for _ in range(n)]
        wanted = set(keys) | {"time", "distance"}  # Strava always includes distance and time
        return {
            key: {"data": values, "series_type": "distance", "original_size": n, "resolution": "high"}
            for key, values in series.items()
            if key in wanted
        }

    # -- hooks -------------------------------------------------------------------------------------------
    def athlete_id(self) -> int:
        return self.cfg.athlete

    def token_error(self, error: str) -> Any:
        # Strava does not use RFC 6749 error bodies
        field_name = "refresh_token" if error == "invalid_grant" else "client_id"
        return {
            "message": "Bad Request",
            "errors": [
                {
                    "resource": "RefreshToken" if error == "invalid_grant" else "Application",
                    "field": field_name,
                    "code": "invalid",
                }
            ],
        }

    def decorate_token_response(self, body: dict[str, Any]) -> dict[str, Any]:
        body = dict(body)
        body.pop("scope", None)  # Strava returns the granted scope on the redirect, not in the token
        body["athlete"] = self._athlete_summary()
        return body

    def unauthorized_body(self) -> Any:
        return {
            "message": "Authorization Error",
            "errors": [{"resource": "Athlete", "field": "access_token", "code": "invalid"}],
        }

    def rate_limit_headers(self, usage: dict[str, tuple[int, int]]) -> dict[str, str]:
        limits = self.config.limits or {}
        headers = {}
        for bucket, prefix in (("overall", "X-RateLimit"), ("read", "X-ReadRateLimit")):
            if bucket in usage:
                headers[f"{prefix}-Limit"] = ",".join(str(x) for x in limits[bucket])
                headers[f"{prefix}-Usage"] = ",".join(str(x) for x in usage[bucket])
        return headers

    def route_oauth(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Any:
        if path == "/oauth/authorize" and method == "GET":
            return self.authorize(query)
        if path in ("/oauth/token", "/api/v3/oauth/token") and method == "POST":
            status, body = self.token(form)
            return status, {}, body
        if path == "/oauth/deauthorize" and method == "POST":
            token = form.get("access_token") or query.get("access_token", "")
            if self.revoke_access_token(token):
                return 200, {}, {"access_token": "***"}
            return 401, {}, self.unauthorized_body()
        return None

    def _athlete_summary(self) -> dict[str, Any]:
        return {
            "id": self.cfg.athlete,
            "username": "mock_athlete",
            "resource_state": 2,
            "firstname": "Mock",
            "lastname": "Athlete",
            "bio": None,
            "city": "Zurich",
            "state": "ZH",
            "country": "Switzerland",
            "sex": "F",
            "premium": False,
            "summit": False,
            "created_at": "2019-03-01T10:00:00Z",
            "updated_at": "2024-01-10T08:00:00Z",
            "badge_type_id": 0,
            "weight": 61.0,
            "profile_medium": "avatar/athlete/medium.png",
            "profile": "avatar/athlete/large.png",
            "friend": None,
            "follower": None,
        }

    def _athlete_detail(self) -> dict[str, Any]:
        return {
            **self._athlete_summary(),
            "resource_state": 3,
            "follower_count": 12,
            "friend_count": 20,
            "mutual_friend_count": 0,
            "athlete_type": 1,
            "date_preference": "%d/%m/%Y",
            "measurement_preference": "meters",
            "clubs": [],
            "ftp": 245,
            "bikes": [
                {"id": "b5566778", "primary": True, "name": "Road", "resource_state": 2, "distance": 1234567}
            ],
            "shoes": [
                {
                    "id": "g1122334",
                    "primary": True,
                    "name": "Trainers",
                    "resource_state": 2,
                    "distance": 456789,
                }
            ],
        }

    def route(self, method: str, path: str, query: dict[str, str], grant: Any) -> tuple[int, Any]:
        if method != "GET":
            return 405, {"message": "Method Not Allowed"}
        parts = [p for p in path.split("/") if p]
        if parts == ["athlete"]:
            return 200, self._athlete_detail()
        if parts == ["athlete", "zones"]:
            return 200, {
                "heart_rate": {
                    "custom_zones": False,
                    "zones": [
                        {"min": 0, "max": 123},
                        {"min": 123, "max": 153},
                        {"min": 153, "max": 169},
                        {"min": 169, "max": 184},
                        {"min": 184, "max": -1},
                    ],
                },
                "power": {
                    "zones": [
                        {"min": 0, "max": 135},
                        {"min": 136, "max": 184},
                        {"min": 185, "max": 221},
                        {"min": 222, "max": 258},
                        {"min": 259, "max": 295},
                        {"min": 296, "max": 368},
                        {"min": 369, "max": -1},
                    ]
                },
            }
        if parts == ["athlete", "activities"]:
            return self._list(query)
        if len(parts) >= 2 and parts[0] == "activities" and parts[1].isdigit():
            index = self._by_id.get(int(parts[1]))
            if index is None:
                return 404, {
                    "message": "Record Not Found",
                    "errors": [{"resource": "Activity", "field": "id", "code": "invalid"}],
                }
            with self._lock:
                summary = dict(self._activities[index])
            if len(parts) == 2:
                self.served[f"detail:{summary['id']}"] += 1
                return 200, self._detail(summary)
            if parts[2:] == ["laps"]:
                self.served[f"laps:{summary['id']}"] += 1
                return 200, self._laps(summary)
            if parts[2:] == ["streams"]:
                keys = [k for k in query.get("keys", "").split(",") if k]
                if not keys or any(k not in STREAM_TYPES for k in keys) or query.get("key_by_type") != "true":
                    return 400, {
                        "message": "Bad Request",
                        "errors": [{"resource": "Stream", "field": "keys", "code": "invalid"}],
                    }
                self.served[f"streams:{summary['id']}"] += 1
                return 200, self._streams(summary, keys)
        return 404, {"message": "Record Not Found", "errors": []}

    def _list(self, query: dict[str, str]) -> tuple[int, Any]:
        try:
            page = int(query.get("page") or 1)
            per_page = int(query.get("per_page") or 30)
            after = int(query["after"]) if query.get("after") else None
            before = int(query["before"]) if query.get("before") else None
        except ValueError:
            return 400, {
                "message": "Bad Request",
                "errors": [{"resource": "Activity", "field": "page", "code": "invalid"}],
            }
        if per_page > 200 or page < 1:
            return 400, {
                "message": "Bad Request",
                "errors": [{"resource": "Activity", "field": "per_page", "code": "invalid"}],
            }

        def epoch(a: dict[str, Any]) -> int:
            return int(datetime.fromisoformat(a["start_date"].replace("Z", "+00:00")).timestamp())

        with self._lock:
            items = [
                a
                for a in self._activities
                if (after is None or epoch(a) > after) and (before is None or epoch(a) < before)
            ]
        items.sort(
            key=epoch, reverse=after is None
        )  # Strava: newest first, oldest first when `after` is given
        chunk = items[(page - 1) * per_page : page * per_page]
        return 200, [dict(a) for a in chunk]
