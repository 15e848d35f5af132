"""An Oura API v2 stand-in on 127.0.0.1 with a deterministic synthetic history.

Documents follow Oura's OpenAPI 1.29 models (PublicModifiedSleepModel, PublicDailySleep, ...); values are
generated. Collections filter on `start_date`/`end_date` (inclusive days; heart rate on `start_datetime`/
`end_datetime`) and paginate with an opaque `next_token` (page size configurable). OAuth:

    GET  /oauth/authorize   auto-approve, 302 to the loopback redirect_uri
    POST /oauth/token       authorization_code / refresh_token (single-use refresh tokens)
    GET  /oauth/revoke?access_token=...
"""

from __future__ import annotations

import base64
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .base import MockConfig, MockProvider

COLLECTIONS = [
    "sleep",
    "daily_sleep",
    "daily_readiness",
    "daily_activity",
    "workout",
    "session",
    "daily_spo2",
    "daily_stress",
    "vO2_max",
]


@dataclass
class OuraMockConfig(MockConfig):
    days: int = 30
    first_day: date = field(default_factory=lambda: date(2024, 9, 1))
    heart_rate_every_s: int = 300
    heart_rate_page_size: int = 2000  # time series come in large pages


def _uid(*parts: Any) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "oura-mock/" + "/".join(map(str, parts))))


def _ts(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


class OuraMock(MockProvider):
    name = "oura"
    api_prefix = "/v2/usercollection"

    def __init__(self, config: OuraMockConfig | None = None, **kwargs: Any):
        config = config or OuraMockConfig()
        super().__init__(config, **kwargs)
        self.cfg: OuraMockConfig = config
        self.docs: dict[str, list[dict[str, Any]]] = {name: [] for name in COLLECTIONS}
        for i in range(config.days):
            self._make_day(config.first_day + timedelta(days=i))

    def add_day(self) -> date:
        """Simulate the ring syncing one more day (after the last one): documents of every collection and its
        heart rate. Returns the new day."""
        with self._lock:
            day = self.last_day + timedelta(days=1)
            self._make_day(day)
            self.cfg.days += 1
            return day

    @property
    def last_day(self) -> date:
        return self.cfg.first_day + timedelta(days=self.cfg.days - 1)

    def env(self) -> dict[str, str]:
        return {
            "OPENFIT_OURA_CLIENT_ID": self.config.client_id,
            "OPENFIT_OURA_CLIENT_SECRET": self.config.client_secret,
            "OPENFIT_OURA_AUTH_URL": f"{self.base_url}/oauth/authorize",
            "OPENFIT_OURA_TOKEN_URL": f"{self.base_url}/oauth/token",
            "OPENFIT_OURA_REVOKE_URL": f"{self.base_url}/oauth/revoke",
            "OPENFIT_OURA_API_BASE_URL": f"{self.base_url}/v2",
        }

    # -- data --------------------------------------------------------------------------------------------
    def _make_day(self, day: date) -> None:
        rng = random.Random(f"{self.cfg.seed}-{day}")
        tz = "+02:00" if 4 <= day.month <= 10 else "+01:00"
        offset = timedelta(hours=2 if tz == "+02:00" else 1)
        bed_start = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=UTC) + timedelta(
            hours=22, minutes=rng.randint(0, 120)
        )
        in_bed = rng.randint(6 * 3600, 9 * 3600)
        bed_end = bed_start + timedelta(seconds=in_bed)
        deep, rem = rng.randint(3000, 6000), rng.randint(4000, 7000)
        awake = rng.randint(1200, 3600)
        light = in_bed - deep - rem - awake
        local = lambda dt: (dt + offset).replace(tzinfo=None).isoformat(timespec="seconds") + tz  # noqa: E731
        samples = in_bed // 300
        readiness_contrib = {
            k: rng.randint(50, 100)
            for k in (
                "activity_balance",
                "body_temperature",
                "hrv_balance",
                "previous_day_activity",
                "previous_night",
                "recovery_index",
                "resting_heart_rate",
                "sleep_balance",
            )
        }
        readiness_score = rng.randint(55, 95)
        temp_dev = round(rng.uniform(-0.5, 0.5), 2)
        self.docs["sleep"].append(
            {
                "id": _uid("sleep", day),
                "average_breath": round(rng.uniform(13, 16), 3),
                "average_heart_rate": round(rng.uniform(48, 62), 3),
                "average_hrv": rng.randint(30, 90),
                "awake_time": awake,
                "bedtime_end": local(bed_end),
                "bedtime_start": local(bed_start),
                "day": day.isoformat(),
                "deep_sleep_duration": deep,
                "efficiency": rng.randint(78, 96),
                "heart_rate": {
                    "interval": 300.0,
                    "items": [float(rng.randint(45, 70)) for _ in range(samples)],
                    "timestamp": local(bed_start),
                },
                "hrv": {
                    "interval": 300.0,
                    "items": [float(rng.randint(20, 110)) for _ in range(samples)],
                    "timestamp": local(bed_start),
                },
                "latency": rng.randint(120, 1800),
                "light_sleep_duration": light,
                "low_battery_alert": False,
                "lowest_heart_rate": rng.randint(40, 50),
                "movement_30_sec": "".join(rng.choice("1123") for _ in range(in_bed // 30)),
                "period": 0,
                "readiness": {
                    "contributors": readiness_contrib,
                    "score": readiness_score,
                    "temperature_deviation": temp_dev,
                    "temperature_trend_deviation": round(temp_dev / 2, 2),
                },
                "readiness_score_delta": 0,
                "rem_sleep_duration": rem,
                "restless_periods": rng.randint(100, 300),
                "sleep_phase_5_min": "".join(rng.choice("1234") for _ in range(samples)),
                "sleep_score_delta": 0,
                "sleep_algorithm_version": "v2",
                "time_in_bed": in_bed,
                "total_sleep_duration": in_bed - awake,
                "type": "long_sleep",
            }
        )
        self.docs["daily_sleep"].append(
            {
                "id": _uid("daily_sleep", day),
                "contributors": {
                    k: rng.randint(40, 100)
                    for k in (
                        "deep_sleep",
                        "efficiency",
                        "latency",
                        "rem_sleep",
                        "restfulness",
                        "timing",
                        "total_sleep",
                    )
                },
                "day": day.isoformat(),
                "score": rng.randint(55, 95),
                "timestamp": f"{day.isoformat()}T00:00:00{tz}",
            }
        )
        self.docs["daily_readiness"].append(
            {
                "id": _uid("daily_readiness", day),
                "contributors": readiness_contrib,
                "day": day.isoformat(),
                "score": readiness_score,
                "temperature_deviation": temp_dev,
                "temperature_trend_deviation": round(temp_dev / 2, 2),
                "timestamp": f"{day.isoformat()}T00:00:00{tz}",
            }
        )
        steps = rng.randint(3000, 20000)
        self.docs["daily_activity"].append(
            {
                "id": _uid("daily_activity", day),
                "class_5_min": "".join(rng.choice("0112234") for _ in range(288)),
                "score": rng.randint(50, 100),
                "active_calories": rng.randint(200, 1200),
                "average_met_minutes": round(rng.uniform(1.2, 2.2), 3),
                "contributors": {
                    k: rng.randint(40, 100)
                    for k in (
                        "meet_daily_targets",
                        "move_every_hour",
                        "recovery_time",
                        "stay_active",
                        "training_frequency",
                        "training_volume",
                    )
                },
                "equivalent_walking_distance": int(steps * 0.8),
                "high_activity_met_minutes": rng.randint(0, 400),
                "high_activity_time": rng.randint(0, 3600),
                "inactivity_alerts": rng.randint(0, 2),
                "low_activity_met_minutes": rng.randint(100, 300),
                "low_activity_time": rng.randint(10000, 20000),
                "medium_activity_met_minutes": rng.randint(50, 300),
                "medium_activity_time": rng.randint(1000, 6000),
                "met": {
                    "interval": 60.0,
                    "items": [round(rng.uniform(0.9, 6), 1) for _ in range(60)],
                    "timestamp": f"{day.isoformat()}T04:00:00{tz}",
                },
                "meters_to_target": rng.randint(-4000, 4000),
                "non_wear_time": rng.randint(0, 600),
                "resting_time": rng.randint(20000, 30000),
                "sedentary_met_minutes": rng.randint(5, 30),
                "sedentary_time": rng.randint(20000, 40000),
                "steps": steps,
                "target_calories": 600,
                "target_meters": 12000,
                "total_calories": rng.randint(2000, 3600),
                "day": day.isoformat(),
                "timestamp": f"{day.isoformat()}T04:00:00{tz}",
            }
        )
        if rng.random() < 0.6:
            start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
                hours=rng.randint(6, 18)
            )
            end = start + timedelta(minutes=rng.randint(20, 90))
            self.docs["workout"].append(
                {
                    "id": _uid("workout", day),
                    "activity": rng.choice(["running", "cycling", "walking"]),
                    "calories": round(rng.uniform(100, 900), 3),
                    "day": day.isoformat(),
                    "distance": round(rng.uniform(3000, 30000), 1),
                    "end_datetime": local(end),
                    "intensity": rng.choice(["easy", "moderate", "hard"]),
                    "label": None,
                    "source": "confirmed",
                    "start_datetime": local(start),
                }
            )
        if rng.random() < 0.3:
            start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
                hours=rng.randint(7, 21)
            )
            minutes = rng.randint(3, 15)
            self.docs["session"].append(
                {
                    "id": _uid("session", day),
                    "day": day.isoformat(),
                    "start_datetime": local(start),
                    "end_datetime": local(start + timedelta(minutes=minutes)),
                    "type": rng.choice(["breathing", "meditation", "rest"]),
                    "heart_rate": {
                        "interval": 5.0,
                        "items": [float(rng.randint(55, 75)) for _ in range(minutes * 12)],
                        "timestamp": local(start),
                    },
                    "heart_rate_variability": None,
                    "mood": rng.choice(["good", "same", "great"]),
                    "motion_count": {
                        "interval": 5.0,
                        "items": [float(rng.randint(0, 30)) for _ in range(minutes * 12)],
                        "timestamp": local(start),
                    },
                }
            )
        self.docs["daily_spo2"].append(
            {
                "id": _uid("daily_spo2", day),
                "day": day.isoformat(),
                "spo2_percentage": {"average": round(rng.uniform(94, 99), 3)},
                "breathing_disturbance_index": rng.randint(0, 20),
            }
        )
        self.docs["daily_stress"].append(
            {
                "id": _uid("daily_stress", day),
                "day": day.isoformat(),
                "stress_high": rng.randint(0, 12) * 900,
                "recovery_high": rng.randint(0, 16) * 900,
                "day_summary": rng.choice(["restored", "normal", "stressful", None]),
            }
        )
        # Oura API >= 1.2x: every document carries `meta` (the 2024 recordings predate it)
        meta = {"updated_at": f"{(day + timedelta(days=1)).isoformat()}T08:00:00+00:00", "version": 1}
        for docs in self.docs.values():
            if docs and docs[-1]["day"] == day.isoformat() and "meta" not in docs[-1]:
                docs[-1]["meta"] = dict(meta)
        if day.weekday() == 0:
            self.docs["vO2_max"].append(
                {
                    "id": _uid("vO2_max", day),
                    "day": day.isoformat(),
                    "timestamp": f"{day.isoformat()}T12:00:00+00:00",
                    "vo2_max": float(rng.randint(44, 56)),
                    "meta": dict(meta),
                }
            )

    def heart_rate_rows(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """5-minute heart rate for the whole simulated range, generated on demand (deterministic)."""
        first = datetime.combine(self.cfg.first_day, datetime.min.time(), tzinfo=UTC)
        last = first + timedelta(days=self.cfg.days)
        start, end = max(start, first), min(end, last)
        step = self.cfg.heart_rate_every_s
        offset = int((start - first).total_seconds())
        offset += (-offset) % step
        rows = []
        t = first + timedelta(seconds=offset)
        while t <= end and t < last:
            seconds = int((t - first).total_seconds())
            hour = t.hour
            source = "rest" if hour < 6 else ("workout" if hour == 18 else "awake")
            rows.append(
                {
                    "bpm": 50 + (seconds // step * 37) % 45,
                    "source": source,
                    "timestamp": _ts(t),
                    "timestamp_unix": int(t.timestamp() * 1000),
                }
            )
            t += timedelta(seconds=step)
        return rows

    # -- hooks -------------------------------------------------------------------------------------------
    def route_oauth(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Any:
        if path == "/oauth/authorize" and method == "GET":
            return self.authorize(query)
        if path == "/oauth/token" and method == "POST":
            status, body = self.token(form)
            return status, {}, body
        if path == "/oauth/revoke":
            token = query.get("access_token") or form.get("access_token", "")
            if self.revoke_access_token(token):
                return 200, {}, {}
            return 400, {}, {"error": "invalid_token"}
        return None

    def unauthorized_body(self) -> Any:
        return {"detail": "Invalid or expired access token"}

    def _page(
        self, items: list[dict[str, Any]], query: dict[str, str], size: int | None = None
    ) -> dict[str, Any]:
        start = 0
        if query.get("next_token"):
            try:
                start = json.loads(base64.urlsafe_b64decode(query["next_token"].encode()))["offset"]
            except (ValueError, KeyError):
                start = -1
        size = size or self.config.page_size
        chunk = items[start : start + size] if start >= 0 else []
        more = start >= 0 and start + size < len(items)
        token = (
            base64.urlsafe_b64encode(json.dumps({"offset": start + size}).encode()).decode() if more else None
        )
        return {"data": chunk, "next_token": token}

    def route(self, method: str, path: str, query: dict[str, str], grant: Any) -> tuple[int, Any]:
        name = path.strip("/")
        if name == "personal_info":
            return 200, {
                "id": _uid("person", self.cfg.seed),
                "age": 38,
                "weight": 68.5,
                "height": 1.74,
                "biological_sex": "female",
                "email": "athlete@example.org",
            }
        if name == "heartrate":
            try:
                start = datetime.fromisoformat(query.get("start_datetime") or "1970-01-01T00:00:00+00:00")
                end = datetime.fromisoformat(query.get("end_datetime") or "2100-01-01T00:00:00+00:00")
            except ValueError:
                return 422, {
                    "detail": [
                        {"type": "value_error", "loc": ["query", "start_datetime"], "msg": "invalid datetime"}
                    ]
                }
            if start.tzinfo is None:
                start = start.replace(tzinfo=UTC)
            if end.tzinfo is None:
                end = end.replace(tzinfo=UTC)
            if end - start > timedelta(days=30):
                return 400, {"detail": "Start and end datetime must be within 30 days of each other"}
            self.served["heartrate"] += 1
            return 200, self._page(self.heart_rate_rows(start, end), query, self.cfg.heart_rate_page_size)
        if name in self.docs:
            try:
                start_day = date.fromisoformat(query["start_date"]) if query.get("start_date") else None
                end_day = date.fromisoformat(query["end_date"]) if query.get("end_date") else None
            except ValueError:
                return 422, {
                    "detail": [{"type": "value_error", "loc": ["query", "start_date"], "msg": "invalid date"}]
                }
            if start_day and end_day and start_day > end_day:
                return 400, {
                    "detail": [
                        {
                            "type": "value_error",
                            "loc": ["query", "start_date"],
                            "msg": "Start date must be before end date",
                        }
                    ]
                }
            items = [
                d
                for d in self.docs[name]
                if (start_day is None or date.fromisoformat(d["day"]) >= start_day)
                and (end_day is None or date.fromisoformat(d["day"]) <= end_day)
            ]
            for item in items:
                self.served[f"{name}:{item['id']}"] += 1
            return 200, self._page(items, query)
        return 404, {"detail": "Not Found"}
