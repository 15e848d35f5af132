"""A writer of realistic Android Health Connect exports (Settings > Health Connect > Export) for tests.

The database has the tables and columns of AOSP HealthFitness (``*RecordHelper.java``: ``<type>_record_table``
with row_id, uuid BLOB, app_info_id, device_info_id, last_modified_time, recording_method, client_record_id,
dedupe_hash and start/end (or time) epoch millis with zone offsets; series, stage and route child tables keyed
by ``parent_key``), filled with a phone (Google Fit counting steps), a watch (Samsung Health: steps, distance,
heart-rate series, HRV RMSSD, resting HR, respiratory rate, SpO2, nights with stages, runs with routes and
laps) and a scale (Withings: weight in grams, body fat). Record uuids derive from the account seed and the
record's content, so a newer export of the same account repeats the uuids of the records it shares with an
older one; ``edited_weights`` rewrites a weigh-in's value with a newer ``last_modified_time`` (same uuid), as
an edit in the app does.
"""

from __future__ import annotations

import math
import random
import sqlite3
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from hashlib import blake2b
from pathlib import Path

ZONE_OFFSET_S = 3600  # Europe/Berlin in winter
COMMON = (
    "row_id INTEGER PRIMARY KEY AUTOINCREMENT, uuid BLOB NOT NULL UNIQUE, last_modified_time INTEGER NOT NULL, "
    "client_record_id TEXT, client_record_version TEXT, device_info_id INTEGER, app_info_id INTEGER, "
    "recording_method INTEGER, dedupe_hash BLOB UNIQUE"
)
INTERVAL = (
    "start_time INTEGER NOT NULL, start_zone_offset INTEGER, end_time INTEGER NOT NULL, "
    "end_zone_offset INTEGER, local_date INTEGER"
)
INSTANT = "time INTEGER NOT NULL, zone_offset INTEGER, local_date INTEGER"

RECORD_TABLES = {
    "steps_record_table": f"{COMMON}, {INTERVAL}, count INTEGER NOT NULL",
    "distance_record_table": f"{COMMON}, {INTERVAL}, distance REAL NOT NULL",
    "active_calories_burned_record_table": f"{COMMON}, {INTERVAL}, energy REAL NOT NULL",
    "heart_rate_record_table": f"{COMMON}, {INTERVAL}",
    "sleep_session_record_table": f"{COMMON}, {INTERVAL}, notes TEXT, title TEXT",
    "exercise_session_record_table": (
        f"{COMMON}, {INTERVAL}, notes TEXT, exercise_type INTEGER NOT NULL, title TEXT, has_route INTEGER"
    ),
    "weight_record_table": f"{COMMON}, {INSTANT}, weight REAL NOT NULL",
    "body_fat_record_table": f"{COMMON}, {INSTANT}, percentage REAL NOT NULL",
    "resting_heart_rate_record_table": f"{COMMON}, {INSTANT}, beats_per_minute INTEGER NOT NULL",
    "respiratory_rate_record_table": f"{COMMON}, {INSTANT}, rate REAL NOT NULL",
    "oxygen_saturation_record_table": f"{COMMON}, {INSTANT}, percentage REAL NOT NULL",
    "heart_rate_variability_rmssd_record_table": f"{COMMON}, {INSTANT}, heart_rate_variability_millis REAL",
    # present in every store, left empty here (the decoder does not read them)
    "hydration_record_table": f"{COMMON}, {INTERVAL}, volume REAL NOT NULL",
    "nutrition_record_table": f"{COMMON}, {INTERVAL}, meal_type INTEGER, name TEXT",
}
CHILD_TABLES = {
    "heart_rate_record_series_table": "beats_per_minute INTEGER NOT NULL, epoch_millis INTEGER NOT NULL, "
    "parent_key INTEGER NOT NULL REFERENCES heart_rate_record_table (row_id) ON DELETE CASCADE",
    "sleep_stages_table": "stage_start_time INTEGER NOT NULL, stage_end_time INTEGER NOT NULL, "
    "stage_type INTEGER NOT NULL, parent_key INTEGER NOT NULL",
    "exercise_route_table": "timestamp_millis INTEGER NOT NULL, latitude REAL NOT NULL, longitude REAL NOT NULL, "
    "altitude REAL, horizontal_accuracy REAL, vertical_accuracy REAL, parent_key INTEGER NOT NULL",
    "exercise_laps_table": "lap_start_time INTEGER NOT NULL, lap_end_time INTEGER NOT NULL, lap_length REAL, "
    "parent_key INTEGER NOT NULL",
    "exercise_segments_table": "segment_start_time INTEGER NOT NULL, segment_end_time INTEGER NOT NULL, "
    "segment_type INTEGER NOT NULL, repetitions_count INTEGER, parent_key INTEGER NOT NULL",
}
OTHER_TABLES = {
    "android_metadata": "locale TEXT",
    "application_info_table": "row_id INTEGER PRIMARY KEY AUTOINCREMENT, package_name TEXT NOT NULL UNIQUE, "
    "app_name TEXT, app_icon BLOB, record_types_used TEXT",
    "device_info_table": "row_id INTEGER PRIMARY KEY AUTOINCREMENT, manufacturer TEXT, model TEXT, "
    "device_type INTEGER",
    "change_logs_table": "row_id INTEGER PRIMARY KEY AUTOINCREMENT, record_type INTEGER, app_id INTEGER, "
    "uuids BLOB, operation_type INTEGER, change_log_time_stamp INTEGER",
}

APPS = (
    ("com.google.android.apps.fitness", "Fit"),
    ("com.sec.android.app.shealth", "Samsung Health"),
    ("com.withings.wiscale2", "Health Mate"),
)
DEVICES = (("Google", "Pixel 8", 2), ("Samsung", "Galaxy Watch6", 1), ("Withings", "Body+", 3))
PHONE, WATCH, SCALE = 1, 2, 3  # row ids: app i wrote with device i
RUN = 56  # ExerciseSessionType.EXERCISE_SESSION_TYPE_RUNNING


@dataclass
class ExportSpec:
    days: int = 3
    end_date: date = date(
        2024, 3, 10
    )  # the last day the export holds (older exports of the account: fewer days)
    first_date: date = date(2024, 3, 4)
    account_seed: int = 7
    edited_weights: dict[date, float] = field(default_factory=dict)  # day -> new weight (kg)
    heart_rate_every_s: int = 300
    locale: str = "en_US"  # another locale: other bytes, the same records (a re-export of the same store)


def _uuid(seed: int, *parts: object) -> bytes:
    return blake2b("|".join(map(str, (seed, *parts))).encode(), digest_size=16).digest()


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class _Writer:
    def __init__(self, connection: sqlite3.Connection, spec: ExportSpec) -> None:
        self.db = connection
        self.spec = spec

    def insert(self, table: str, app: int, key: tuple, values: dict, modified: datetime) -> int:
        columns = {
            "uuid": _uuid(self.spec.account_seed, table, app, *key),
            "last_modified_time": _ms(modified),
            "client_record_id": None,
            "device_info_id": app,
            "app_info_id": app,
            "recording_method": 2,  # automatically recorded
            "dedupe_hash": _uuid(0, table, app, *key),
            **values,
        }
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        cursor = self.db.execute(f"insert into {table} ({names}) values ({marks})", list(columns.values()))
        return int(cursor.lastrowid)

    def interval(self, table, app, key, start, end, modified=None, **values) -> int:
        times = {
            "start_time": _ms(start),
            "start_zone_offset": ZONE_OFFSET_S,
            "end_time": _ms(end),
            "end_zone_offset": ZONE_OFFSET_S,
            "local_date": (start + timedelta(seconds=ZONE_OFFSET_S)).date().toordinal() - 719163,
        }
        return self.insert(table, app, key, {**times, **values}, modified or end + timedelta(minutes=2))

    def instant(self, table, app, key, moment, modified=None, **values) -> int:
        times = {
            "time": _ms(moment),
            "zone_offset": ZONE_OFFSET_S,
            "local_date": (moment + timedelta(seconds=ZONE_OFFSET_S)).date().toordinal() - 719163,
        }
        return self.insert(table, app, key, {**times, **values}, modified or moment + timedelta(minutes=1))

    def children(self, table: str, rows: list[dict]) -> None:
        if not rows:
            return
        names = ", ".join(rows[0])
        marks = ", ".join("?" for _ in rows[0])
        self.db.executemany(
            f"insert into {table} ({names}) values ({marks})", [list(r.values()) for r in rows]
        )


def _day(writer: _Writer, day: date, rng: random.Random) -> None:
    spec = writer.spec
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(seconds=ZONE_OFFSET_S)
    # steps and distance: the phone counts every waking hour, the watch too (the same walk, twice)
    run_day = (day - spec.first_date).days % 2 == 1
    for hour in range(8, 21):
        start, end = midnight + timedelta(hours=hour), midnight + timedelta(hours=hour + 1)
        steps = rng.randint(200, 900)
        writer.interval("steps_record_table", PHONE, ("steps", day, hour), start, end, count=steps)
        if run_day and hour == 18:
            continue  # the watch writes the run's own steps and distance for this hour (records never overlap)
        writer.interval("steps_record_table", WATCH, ("steps", day, hour), start, end, count=steps + 37)
        writer.interval(
            "distance_record_table", WATCH, ("distance", day, hour), start, end, distance=steps * 0.78
        )
        writer.interval(
            "active_calories_burned_record_table", WATCH, ("kcal", day, hour), start, end, energy=steps * 40.0
        )
    # heart rate: one series record per hour of the day, samples every heart_rate_every_s
    for hour in range(24):
        start = midnight + timedelta(hours=hour)
        parent = writer.interval(
            "heart_rate_record_table", WATCH, ("hr", day, hour), start, start + timedelta(hours=1)
        )
        writer.children(
            "heart_rate_record_series_table",
            [
                {
                    "beats_per_minute": int(55 + 25 * math.sin(hour / 24 * math.pi) + rng.randint(-3, 3)),
                    "epoch_millis": _ms(start + timedelta(seconds=second)),
                    "parent_key": parent,
                }
                for second in range(0, 3600, spec.heart_rate_every_s)
                if not (run_day and hour == 18 and second <= 1800)  # the run's own series covers 18:00-18:30
            ],
        )
    # the night that ends this morning: 23:00 (previous day) to 07:00, stages every 30 minutes
    bed = midnight - timedelta(hours=1)
    wake = midnight + timedelta(hours=7)
    night = writer.interval("sleep_session_record_table", WATCH, ("sleep", day), bed, wake, title="Sleep")
    cycle = (1, 4, 5, 4, 6, 4, 5, 4, 6, 4, 6, 4, 4, 6, 4, 1)  # awake, light, deep, rem...
    writer.children(
        "sleep_stages_table",
        [
            {
                "stage_start_time": _ms(bed + timedelta(minutes=30 * i)),
                "stage_end_time": _ms(bed + timedelta(minutes=30 * (i + 1))),
                "stage_type": stage,
                "parent_key": night,
            }
            for i, stage in enumerate(cycle)
        ],
    )
    morning = midnight + timedelta(hours=7)
    writer.instant(
        "heart_rate_variability_rmssd_record_table",
        WATCH,
        ("hrv", day),
        morning,
        heart_rate_variability_millis=round(rng.uniform(35, 70), 1),
    )
    writer.instant(
        "resting_heart_rate_record_table", WATCH, ("rhr", day), morning, beats_per_minute=rng.randint(48, 56)
    )
    writer.instant(
        "respiratory_rate_record_table", WATCH, ("resp", day), morning, rate=round(rng.uniform(13, 16), 1)
    )
    writer.instant(
        "oxygen_saturation_record_table", WATCH, ("spo2", day), morning, percentage=float(rng.randint(94, 99))
    )
    # weigh-ins every other day (grams, as Health Connect stores masses)
    if (day - spec.first_date).days % 2 == 0:
        weighed = midnight + timedelta(hours=7, minutes=15)
        kg = round(70 + rng.uniform(-0.8, 0.8), 1)
        modified = None
        if day in spec.edited_weights:
            kg = spec.edited_weights[day]
            modified = datetime.combine(spec.end_date, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20)
        writer.instant("weight_record_table", SCALE, ("weight", day), weighed, modified, weight=kg * 1000)
        writer.instant(
            "body_fat_record_table", SCALE, ("fat", day), weighed, percentage=round(rng.uniform(16, 19), 1)
        )
    # a run every other day at 18:00 local, with its route, laps and heart rate
    if run_day:
        _run(writer, day, midnight + timedelta(hours=18), rng)


def _run(writer: _Writer, day: date, start: datetime, rng: random.Random) -> None:
    minutes = 30
    end = start + timedelta(minutes=minutes)
    session = writer.interval(
        "exercise_session_record_table",
        WATCH,
        ("run", day),
        start,
        end,
        exercise_type=RUN,
        title="Evening run",
        notes=None,
        has_route=1,
    )
    lat, lon = 52.5200, 13.4050
    route = []
    for i in range(0, minutes * 60, 10):
        angle = i / (minutes * 60) * 2 * math.pi
        route.append(
            {
                "timestamp_millis": _ms(start + timedelta(seconds=i)),
                "latitude": lat + 0.01 * math.sin(angle),
                "longitude": lon + 0.015 * (1 - math.cos(angle)),
                "altitude": 34.0 + 3 * math.sin(angle * 2),
                "horizontal_accuracy": 4.0,
                "vertical_accuracy": 6.0,
                "parent_key": session,
            }
        )
    writer.children("exercise_route_table", route)
    writer.children(
        "exercise_laps_table",
        [
            {
                "lap_start_time": _ms(start + timedelta(minutes=10 * i)),
                "lap_end_time": _ms(start + timedelta(minutes=10 * (i + 1))),
                "lap_length": 1000.0 * (1 + rng.random() * 0.2),
                "parent_key": session,
            }
            for i in range(3)
        ],
    )
    parent = writer.interval("heart_rate_record_table", WATCH, ("run-hr", day), start, end)
    writer.children(
        "heart_rate_record_series_table",
        [
            {
                "beats_per_minute": 140 + i // 60 + rng.randint(-2, 2),
                "epoch_millis": _ms(start + timedelta(seconds=i + 2)),
                "parent_key": parent,
            }
            for i in range(0, minutes * 60, 5)
        ],
    )
    writer.interval("steps_record_table", WATCH, ("run-steps", day), start, end, count=minutes * 165)
    writer.interval("distance_record_table", WATCH, ("run-distance", day), start, end, distance=5100.0)


def write_export_db(path: str | Path, spec: ExportSpec | None = None) -> Path:
    """Write a Health Connect store at `path` holding `spec.days` days ending at `spec.end_date`."""
    spec = spec or ExportSpec()
    path = Path(path)
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    try:
        for table, columns in {**OTHER_TABLES, **RECORD_TABLES, **CHILD_TABLES}.items():
            connection.execute(f"create table {table} ({columns})")
        connection.execute("insert into android_metadata values (?)", [spec.locale])
        connection.executemany(
            "insert into application_info_table (package_name, app_name, app_icon, record_types_used) "
            "values (?, ?, ?, ?)",
            [(package, name, b"\x89PNG", "1,2") for package, name in APPS],
        )
        connection.executemany(
            "insert into device_info_table (manufacturer, model, device_type) values (?, ?, ?)", DEVICES
        )
        connection.execute("pragma user_version = 10")
        writer = _Writer(connection, spec)
        rng = random.Random(spec.account_seed)
        first = spec.end_date - timedelta(days=spec.days - 1)
        for offset in range((spec.end_date - spec.first_date).days + 1):
            day = spec.first_date + timedelta(days=offset)
            day_rng = random.Random(rng.random() + offset)  # the same day has the same values in every export
            if day >= first:
                _day(writer, day, day_rng)
        connection.commit()
    finally:
        connection.close()
    return path


def write_export_zip(
    path: str | Path, spec: ExportSpec | None = None, db_name: str = "health_connect_export.db"
) -> Path:
    """The zip Health Connect's export writes: the database under `db_name` at the zip's root."""
    path = Path(path)
    database = write_export_db(path.with_suffix(".tmp.db"), spec)
    try:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.write(database, db_name)
    finally:
        database.unlink()
    return path
