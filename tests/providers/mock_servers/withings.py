"""A Withings Public API stand-in on 127.0.0.1 with a deterministic synthetic history.

Built from Withings' published API reference (developer.withings.com/api-reference, read December 2026:
"OAuth 2.0 - Get your access token", "Measure - Getmeas", "Measure v2 - Getactivity", "Measure v2 -
Getworkouts", "Sleep v2 - Getsummary", "Response status") and shaped after the recorded responses in
../shared/fixtures/api/withings (aiowithings test fixtures, joostlek/python-withings@6775b520, MIT); no
machine-readable (OpenAPI) description of the Withings API was found. The contract tests compare this mock's
documents with those fixtures field by field when the folder exists. Values are generated.

    GET  /oauth2_user/authorize2          auto-approve, 302 to the loopback redirect_uri
    POST /v2/oauth2   action=requesttoken  authorization_code / refresh_token; single-use rotating refresh
                                           tokens; answer wrapped {"status": 0, "body": {...}}
    POST /measure     action=getmeas       measuregrps; startdate/enddate or lastupdate (epoch s); offset
    POST /v2/measure  action=getactivity   activities; startdateymd/enddateymd or lastupdate; offset
    POST /v2/measure  action=getworkouts   series; same filters
    POST /v2/sleep    action=getsummary    series; same filters

Like the real API, every answer is HTTP 200: errors are a non-zero `status` in the body (401 invalid token,
601 too many requests, 503 invalid params, 2554 unknown action). Pages hold `page_size` documents and carry
`more` (getmeas: 0/1, v2: true/false) and `offset`.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .base import MockConfig, MockProvider

TZ = "Europe/Paris"
# (meastype, unit exponent, low, high): the value is sent as an integer mantissa, value * 10**unit
WEIGH_IN_TYPES = ((1, -3, 70.0, 75.0), (6, -3, 14.0, 20.0), (5, -3, 58.0, 63.0), (8, -3, 10.0, 14.0),
                  (76, -2, 55.0, 60.0), (77, -2, 38.0, 42.0), (88, -2, 2.8, 3.2))  # fmt: skip
BP_TYPES = ((9, 0, 70, 85), (10, 0, 110, 130), (11, 0, 55, 75))
WORKOUT_CATEGORIES = (2, 6, 1, 7)  # run, bicycling, walk, swimming


@dataclass
class WithingsMockConfig(MockConfig):
    days: int = 30
    first_day: date = field(default_factory=lambda: date(2024, 9, 1))
    page_size: int = 10
    userid: int = 4242
    access_token_ttl_s: float = 3 * 3600  # Withings access tokens live three hours
    # a workout every `workout_every` days (always on the first day)
    workout_every: int = 2


def _hash(*parts: Any) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def _epoch(dt: datetime) -> int:
    return int(dt.timestamp())


class WithingsMock(MockProvider):
    name = "withings"
    api_prefix = ""

    def __init__(self, config: WithingsMockConfig | None = None, **kwargs: Any):
        config = config or WithingsMockConfig()
        super().__init__(config, **kwargs)
        self.cfg: WithingsMockConfig = config
        self.scale_id = _hash("scale", config.seed)
        self.bpm_id = _hash("bpm", config.seed)
        self.watch_id = _hash("watch", config.seed)
        self.measuregrps: list[dict[str, Any]] = []
        self.activities: list[dict[str, Any]] = []
        self.sleep: list[dict[str, Any]] = []
        self.workouts: list[dict[str, Any]] = []
        for i in range(config.days):
            self._make_day(i, config.first_day + timedelta(days=i))

    @property
    def last_day(self) -> date:
        return self.cfg.first_day + timedelta(days=self.cfg.days - 1)

    def env(self) -> dict[str, str]:
        return {
            "OPENFIT_WITHINGS_CLIENT_ID": self.config.client_id,
            "OPENFIT_WITHINGS_CLIENT_SECRET": self.config.client_secret,
            "OPENFIT_WITHINGS_AUTH_URL": f"{self.base_url}/oauth2_user/authorize2",
            "OPENFIT_WITHINGS_TOKEN_URL": f"{self.base_url}/v2/oauth2",
            "OPENFIT_WITHINGS_API_BASE_URL": self.base_url,
        }

    # -- data --------------------------------------------------------------------------------------------
    def _make_day(self, i: int, day: date) -> None:
        rng = random.Random(f"{self.cfg.seed}-{day}")
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        modified = _epoch(midnight + timedelta(days=1, hours=1))
        weigh = _epoch(midnight + timedelta(hours=6, minutes=rng.randint(0, 59)))
        measures = []
        for meastype, unit, low, high in WEIGH_IN_TYPES:
            value = round(rng.uniform(low, high) * 10**-unit)
            if meastype == 1 and i == 0:
                value = 72500  # a known first weigh-in: 72.5 kg
            measures.append({"value": value, "type": meastype, "unit": unit, "algo": 3, "fm": 3})
        self.measuregrps.append(self._group(8_000_000 + i * 10, weigh, modified, self.scale_id, 5, "Body+",
                                            measures))  # fmt: skip
        if i % 3 == 0:
            bp = [{"value": rng.randint(lo, hi), "type": t, "unit": u} for t, u, lo, hi in BP_TYPES]
            when = _epoch(midnight + timedelta(hours=8, minutes=rng.randint(0, 59)))
            self.measuregrps.append(self._group(8_000_000 + i * 10 + 1, when, modified, self.bpm_id, 45,
                                                "BPM Connect", bp))  # fmt: skip
        if i % 5 == 0:
            extra = [
                {"value": rng.randint(950, 990), "type": 54, "unit": -1},  # SpO2 %
                {"value": rng.randint(3640, 3720), "type": 71, "unit": -2},  # body temperature °C
                {"value": rng.randint(60, 90), "type": 91, "unit": -1},  # pulse wave velocity m/s
                {"value": 0, "type": 130, "unit": 0},  # AFib classification
            ]
            when = _epoch(midnight + timedelta(hours=9))
            self.measuregrps.append(self._group(8_000_000 + i * 10 + 2, when, modified, self.watch_id, 93,
                                                "ScanWatch", extra))  # fmt: skip
        steps = rng.randint(3000, 16000)
        self.activities.append(
            {
                "steps": steps,
                "distance": round(steps * 0.78, 3),
                "elevation": rng.randint(0, 40),
                "soft": rng.randint(1000, 4000),
                "moderate": rng.randint(200, 1500),
                "intense": rng.randint(0, 900),
                "active": rng.randint(300, 2000),
                "calories": round(rng.uniform(150, 900), 3),
                "totalcalories": round(rng.uniform(2000, 3000), 3),
                "hr_average": rng.randint(60, 80),
                "hr_min": rng.randint(45, 55),
                "hr_max": rng.randint(120, 170),
                "hr_zone_0": rng.randint(10000, 30000),
                "hr_zone_1": rng.randint(1000, 5000),
                "hr_zone_2": rng.randint(100, 2000),
                "hr_zone_3": rng.randint(0, 600),
                "deviceid": None,
                "hash_deviceid": None,
                "timezone": TZ,
                "date": day.isoformat(),
                "modified": modified,
                "brand": 1,
                "modelid": 93,
                "model": "ScanWatch",
                "is_tracker": True,
            }
        )
        bed = midnight - timedelta(hours=rng.randint(1, 3), minutes=rng.randint(0, 59))
        deep, light, rem = rng.randint(3000, 6000), rng.randint(10000, 16000), rng.randint(3000, 7000)
        awake, to_sleep, to_wake = rng.randint(600, 2400), rng.randint(300, 1200), rng.randint(60, 900)
        asleep = deep + light + rem
        in_bed = asleep + awake + to_sleep + to_wake
        self.sleep.append(
            {
                "id": 2_000_000_000 + i,
                "timezone": TZ,
                "model": 32,
                "model_id": 63,
                "hash_deviceid": self.watch_id,
                "startdate": _epoch(bed),
                "enddate": _epoch(bed) + in_bed,
                "date": day.isoformat(),
                "data": {
                    "wakeupduration": awake,
                    "wakeupcount": rng.randint(0, 4),
                    "durationtosleep": to_sleep,
                    "remsleepduration": rem,
                    "durationtowakeup": to_wake,
                    "total_sleep_time": asleep,
                    "total_timeinbed": in_bed,
                    "sleep_efficiency": round(asleep / in_bed, 2),
                    "sleep_latency": to_sleep,
                    "wakeup_latency": to_wake,
                    "waso": awake,
                    "nb_rem_episodes": rng.randint(2, 6),
                    "out_of_bed_count": rng.randint(0, 2),
                    "lightsleepduration": light,
                    "deepsleepduration": deep,
                    "hr_average": rng.randint(48, 62),
                    "hr_min": rng.randint(40, 47),
                    "hr_max": rng.randint(70, 95),
                    "rr_average": rng.randint(12, 17),
                    "rr_min": rng.randint(9, 11),
                    "rr_max": rng.randint(18, 22),
                    "breathing_disturbances_intensity": rng.randint(0, 20),
                    "snoring": rng.randint(0, 1800),
                    "snoringepisodecount": rng.randint(0, 20),
                    "sleep_score": rng.randint(55, 95),
                    "apnea_hypopnea_index": rng.randint(0, 10),
                },
                "created": modified,
                "modified": modified,
            }
        )
        if i % self.cfg.workout_every == 0:
            start = midnight + timedelta(hours=17, minutes=rng.randint(0, 59))
            duration = rng.randint(1800, 5400)
            category = WORKOUT_CATEGORIES[(i // self.cfg.workout_every) % len(WORKOUT_CATEGORIES)]
            self.workouts.append(
                {
                    "id": 3_600_000_000 + i,
                    "category": category,
                    "timezone": TZ,
                    "model": 93,
                    "attrib": 0,
                    "startdate": _epoch(start),
                    "enddate": _epoch(start) + duration,
                    "date": day.isoformat(),
                    "deviceid": self.watch_id,
                    "data": {
                        "calories": rng.randint(200, 900),
                        "intensity": 50,
                        "manual_distance": 0,
                        "manual_calories": 0,
                        "hr_average": rng.randint(120, 160),
                        "hr_min": rng.randint(80, 100),
                        "hr_max": rng.randint(165, 185),
                        "hr_zone_0": 60,
                        "hr_zone_1": duration // 3,
                        "hr_zone_2": duration // 3,
                        "hr_zone_3": duration // 3 - 60,
                        "pause_duration": 0,
                        "algo_pause_duration": None,
                        "spo2_average": None,
                        "steps": rng.randint(3000, 9000) if category in (1, 2) else 0,
                        "distance": rng.randint(5000, 30000),
                        "elevation": rng.randint(0, 300),
                    },
                    "modified": modified,
                }
            )

    @staticmethod
    def _group(grpid: int, when: int, modified: int, device: str, modelid: int, model: str,
               measures: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
        return {
            "grpid": grpid,
            "attrib": 0,
            "date": when,
            "created": modified,
            "modified": modified,
            "category": 1,
            "deviceid": device,
            "hash_deviceid": device,
            "measures": measures,
            "modelid": modelid,
            "model": model,
            "comment": None,
        }

    def touch(self, collection: str, index: int, **changes: Any) -> None:
        """Edit a document upstream (its `modified` becomes now): a `lastupdate` sync must pick it up."""
        with self._lock:
            doc = getattr(self, collection)[index]
            doc.update(changes)
            doc["modified"] = int(datetime.now(UTC).timestamp())

    # -- OAuth (Withings flavour) --------------------------------------------------------------------------
    def route_oauth(
        self, method: str, path: str, query: dict[str, str], form: dict[str, str]
    ) -> tuple[int, dict[str, str], Any] | None:
        if path == "/oauth2_user/authorize2" and method == "GET":
            return self.authorize(query)
        if path == "/v2/oauth2" and method == "POST":
            if form.get("action") != "requesttoken":
                return 200, {}, {"status": 2554, "body": {}, "error": "Not implemented"}
            status, body = self.token(form)
            if status != 200:
                self.stats["token_errors"] += 1
                return 200, {}, {"status": 503, "body": {}, "error": "Invalid Params: invalid code or token"}
            token = {
                k: body[k] for k in ("access_token", "refresh_token", "expires_in", "scope", "token_type")
            }
            return 200, {}, {"status": 0, "body": {"userid": self.cfg.userid, **token, "csrf_token": "x"}}
        return None

    def throttled_response(self) -> tuple[int, Any]:
        return 200, {"status": 601, "body": {}, "error": "Too Many Requests"}

    def unauthorized_response(self) -> tuple[int, Any]:
        return 200, {"status": 401, "body": {}, "error": "XRequestID: Not provided invalid_token"}

    # -- API ----------------------------------------------------------------------------------------------
    def route(self, method: str, path: str, query: dict[str, str], grant: Any) -> tuple[int, Any]:
        action = query.get("action")
        handlers = {
            ("/measure", "getmeas"): ("measuregrps", self.measuregrps, False),
            ("/v2/measure", "getactivity"): ("activities", self.activities, True),
            ("/v2/measure", "getworkouts"): ("series", self.workouts, True),
            ("/v2/sleep", "getsummary"): ("series", self.sleep, True),
        }
        if method != "POST" or (path, action) not in handlers:
            return 200, {"status": 2554, "body": {}, "error": "Not implemented"}
        key, docs, v2 = handlers[(path, action)]
        self.served[action] += 1
        try:
            selected = self._select(docs, query, v2)
            offset = int(query.get("offset") or 0)
        except (KeyError, ValueError):
            return 200, {"status": 503, "body": {}, "error": "Invalid Params"}
        page = selected[offset : offset + self.cfg.page_size]
        more = offset + self.cfg.page_size < len(selected)
        body: dict[str, Any] = {key: page, "more": more if v2 else int(more), "offset": offset + len(page)}
        if not v2:
            body = {"updatetime": int(datetime.now(UTC).timestamp()), "timezone": TZ, **body}
        return 200, {"status": 0, "body": body}

    def _select(self, docs: list[dict[str, Any]], query: dict[str, str], v2: bool) -> list[dict[str, Any]]:
        with self._lock:
            docs = list(docs)
        if "lastupdate" in query:
            since = int(query["lastupdate"])
            return [d for d in docs if d["modified"] >= since]
        if v2:
            start, end = date.fromisoformat(query["startdateymd"]), date.fromisoformat(query["enddateymd"])
            return [d for d in docs if start <= date.fromisoformat(d["date"]) <= end]
        start_s, end_s = int(query["startdate"]), int(query["enddate"])
        return [d for d in docs if start_s <= d["date"] <= end_s]
