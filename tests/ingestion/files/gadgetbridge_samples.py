"""Realistic Gadgetbridge databases for the tests, in the layout the app's 'Export DB' writes.

The schema is greenDAO's as Gadgetbridge generates it (table and column names in upper case, activity samples
keyed by TIMESTAMP + DEVICE_ID ``WITHOUT ROWID``, dates of DEVICE_ATTRIBUTES and BASE_ACTIVITY_SUMMARY in unix
milliseconds, sample timestamps in unix seconds, ``PRAGMA user_version`` = the schema version), with
``android_metadata`` and a few of the many tables a real database has but we do not read.

Three bands of one owner, each of a family that writes its own activity kinds:

* a Mi Smart Band 5 (Huami protocol, MI_BAND_ACTIVITY_SAMPLE): kinds written at a change and 0 ("no change")
  or 10 ("ignore") in between, with high bits set on some codes as the bands do; 9 light, 11 deep sleep;
* an Amazfit GTR 4 (HUAMI_EXTENDED_ACTIVITY_SAMPLE): 120 "sleep" with the DEEP_SLEEP / REM_SLEEP levels;
* a Xiaomi Smart Band 8 (XIAOMI_ACTIVITY_SAMPLE with Gadgetbridge's ActivityKind codes by day): its sleep is
  kept apart, as Xiaomi bands' is: XIAOMI_SLEEP_STAGE_SAMPLE (the minute each stage begins, unix ms, stage 2
  deep, 3 light, 4 REM, 0 "not sleep" at waking) and XIAOMI_SLEEP_TIME_SAMPLE (bed and wake-up time, the
  band's totals in minutes).

Every band writes one sample a minute: a night of sleep from 22:30 to 06:30 UTC in 90-minute cycles, heart
rate (0 or 255 when it did not measure), steps during walks by day; the Mi Band records a run every second
day (BASE_ACTIVITY_SUMMARY with Gadgetbridge's summary JSON). A day's content depends only on (seed, device,
day), so a later export of the same database repeats the earlier days; ``edited_heart_rates`` changes chosen
samples as a re-sync that rewrote them would.
"""

from __future__ import annotations

import json
import random
import sqlite3
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

SCHEMA_VERSION = 92
NIGHT_START_MIN = 22 * 60 + 30  # 22:30 UTC, the evening before the day
NIGHT_MINUTES = 8 * 60
RUN_START_MIN = 17 * 60  # 17:00 UTC
RUN_MINUTES = 40

SAMPLE_COLUMNS = (
    '"TIMESTAMP" INTEGER NOT NULL ,"DEVICE_ID" INTEGER NOT NULL ,"USER_ID" INTEGER NOT NULL ,'
    '"RAW_INTENSITY" INTEGER NOT NULL ,"STEPS" INTEGER NOT NULL ,"RAW_KIND" INTEGER NOT NULL ,'
    '"HEART_RATE" INTEGER NOT NULL'
)
SAMPLE_KEY = ',PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID") ON CONFLICT REPLACE) WITHOUT ROWID;'
SCHEMA = [
    "CREATE TABLE android_metadata (locale TEXT);",
    'CREATE TABLE "USER" ("_id" INTEGER PRIMARY KEY AUTOINCREMENT ,"NAME" TEXT NOT NULL ,'
    '"BIRTHDAY" INTEGER NOT NULL ,"GENDER" INTEGER NOT NULL );',
    'CREATE TABLE "USER_ATTRIBUTES" ("_id" INTEGER PRIMARY KEY AUTOINCREMENT ,"HEIGHT_CM" INTEGER NOT NULL ,'
    '"WEIGHT_KG" INTEGER NOT NULL ,"SLEEP_GOAL_HPD" INTEGER,"STEPS_GOAL_SPD" INTEGER,"VALID_FROM_UTC" INTEGER,'
    '"VALID_TO_UTC" INTEGER,"USER_ID" INTEGER NOT NULL );',
    'CREATE TABLE "DEVICE" ("_id" INTEGER PRIMARY KEY AUTOINCREMENT ,"NAME" TEXT NOT NULL ,'
    '"MANUFACTURER" TEXT NOT NULL ,"IDENTIFIER" TEXT NOT NULL UNIQUE ,"TYPE" INTEGER NOT NULL ,'
    '"TYPE_NAME" TEXT NOT NULL ,"MODEL" TEXT,"ALIAS" TEXT,"PARENT_FOLDER" TEXT);',
    'CREATE TABLE "DEVICE_ATTRIBUTES" ("_id" INTEGER PRIMARY KEY AUTOINCREMENT ,"FIRMWARE_VERSION1" TEXT NOT NULL'
    ' ,"FIRMWARE_VERSION2" TEXT,"VALID_FROM_UTC" INTEGER,"VALID_TO_UTC" INTEGER,"DEVICE_ID" INTEGER NOT NULL ,'
    '"VOLATILE_IDENTIFIER" TEXT);',
    f'CREATE TABLE "MI_BAND_ACTIVITY_SAMPLE" ({SAMPLE_COLUMNS} {SAMPLE_KEY}',
    f'CREATE TABLE "HUAMI_EXTENDED_ACTIVITY_SAMPLE" ({SAMPLE_COLUMNS} ,"UNKNOWN1" INTEGER,"SLEEP" INTEGER,'
    f'"DEEP_SLEEP" INTEGER,"REM_SLEEP" INTEGER{SAMPLE_KEY}',
    f'CREATE TABLE "XIAOMI_ACTIVITY_SAMPLE" ({SAMPLE_COLUMNS} ,"STRESS" INTEGER,"SPO2" INTEGER{SAMPLE_KEY}',
    'CREATE TABLE "XIAOMI_SLEEP_STAGE_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL ,"DEVICE_ID" INTEGER NOT NULL ,'
    '"USER_ID" INTEGER NOT NULL ,"STAGE" INTEGER,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID") ON CONFLICT REPLACE)'
    " WITHOUT ROWID;",
    'CREATE TABLE "XIAOMI_SLEEP_TIME_SAMPLE" ("TIMESTAMP" INTEGER NOT NULL ,"DEVICE_ID" INTEGER NOT NULL ,'
    '"USER_ID" INTEGER NOT NULL ,"WAKEUP_TIME" INTEGER,"IS_AWAKE" INTEGER,"TOTAL_DURATION" INTEGER,'
    '"DEEP_SLEEP_DURATION" INTEGER,"LIGHT_SLEEP_DURATION" INTEGER,"REM_SLEEP_DURATION" INTEGER,'
    '"AWAKE_DURATION" INTEGER,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID") ON CONFLICT REPLACE) WITHOUT ROWID;',
    'CREATE TABLE "BATTERY_LEVEL" ("TIMESTAMP" INTEGER NOT NULL ,"DEVICE_ID" INTEGER NOT NULL ,'
    '"LEVEL" INTEGER NOT NULL ,"BATTERY_INDEX" INTEGER NOT NULL ,PRIMARY KEY ("TIMESTAMP" ,"DEVICE_ID" ,'
    '"BATTERY_INDEX") ON CONFLICT REPLACE) WITHOUT ROWID;',
    'CREATE TABLE "BASE_ACTIVITY_SUMMARY" ("_id" INTEGER PRIMARY KEY AUTOINCREMENT ,"NAME" TEXT,'
    '"START_TIME" INTEGER NOT NULL ,"END_TIME" INTEGER NOT NULL ,"ACTIVITY_KIND" INTEGER NOT NULL ,'
    '"BASE_LONGITUDE" INTEGER,"BASE_LATITUDE" INTEGER,"BASE_ALTITUDE" INTEGER,"GPX_TRACK" TEXT,'
    '"RAW_DETAILS_PATH" TEXT,"DEVICE_ID" INTEGER NOT NULL ,"USER_ID" INTEGER NOT NULL ,"SUMMARY_DATA" TEXT,'
    '"RAW_SUMMARY_DATA" BLOB);',
]


@dataclass(frozen=True)
class Band:
    local_id: int
    name: str
    manufacturer: str
    identifier: str  # the Bluetooth MAC address
    type_id: int
    type_name: str
    sample_table: str
    firmware: str


MI_BAND_5 = Band(
    1, "Mi Smart Band 5", "Huami", "C8:0F:10:AA:01:5B", 36, "MIBAND5", "MI_BAND_ACTIVITY_SAMPLE", "1.0.2.58"
)
AMAZFIT_GTR_4 = Band(
    2,
    "Amazfit GTR 4",
    "Huami",
    "D4:12:7E:55:9C:02",
    180,
    "AMAZFITGTR4",
    "HUAMI_EXTENDED_ACTIVITY_SAMPLE",
    "3.18.1.1",
)
XIAOMI_BAND_8 = Band(
    3,
    "Xiaomi Smart Band 8",
    "Xiaomi",
    "E0:6B:3C:1F:22:47",
    300,
    "MIBAND8",
    "XIAOMI_ACTIVITY_SAMPLE",
    "2.3.93",
)
BANDS = (MI_BAND_5, AMAZFIT_GTR_4, XIAOMI_BAND_8)

# A 90-minute cycle: (stage, minutes)
SLEEP_CYCLE = (("light", 40), ("deep", 20), ("light", 15), ("rem", 15))
HUAMI_STAGE = {"light": 9, "deep": 11}  # MI_BAND_ACTIVITY_SAMPLE has no REM code: REM is written as light
XIAOMI_SLEEP_STAGE = {"light": 3, "deep": 2, "rem": 4}  # XIAOMI_SLEEP_STAGE_SAMPLE codes; 0 = not sleep
ACTIVITY_KIND_RUNNING = 0x10


@dataclass
class DatabaseSpec:
    days: int = 3
    first_day: date = date(2024, 3, 4)  # the first night ends on this day
    seed: int = 11
    bands: tuple[Band, ...] = BANDS
    # (band local id, unix second) -> new heart rate: samples a later sync rewrote
    edited_heart_rates: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def day_list(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range(self.days)]


def _unix(day: date, minute_of_day: int) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) + minute_of_day * 60


def sleep_stage_at(minute_of_night: int) -> str:
    position = minute_of_night % 90
    for stage, length in SLEEP_CYCLE:
        if position < length:
            return stage
        position -= length
    raise AssertionError("unreachable")


def _day_samples(spec: DatabaseSpec, band: Band, day: date) -> list[tuple]:
    """One band's minute samples of one day: the night that ends this day (from 22:30 UTC the day before),
    then the waking hours until 22:29."""
    rng = random.Random(f"{spec.seed}/{band.local_id}/{day.isoformat()}")
    rows = []
    night_start = _unix(day - timedelta(days=1), NIGHT_START_MIN)
    previous_stage = None
    for minute in range(24 * 60):
        ts = night_start + minute * 60
        asleep = minute < NIGHT_MINUTES
        stage = sleep_stage_at(minute) if asleep else None
        minute_of_day = (NIGHT_START_MIN + minute) % (24 * 60)
        running = (
            band is MI_BAND_5
            and day.toordinal() % 2 == 0
            and RUN_START_MIN <= minute_of_day < RUN_START_MIN + RUN_MINUTES
        )
        walking = not asleep and not running and rng.random() < 0.12
        steps = 165 if running else rng.randint(40, 110) if walking else 0
        if asleep:
            heart_rate = rng.randint(48, 60)
        elif running:
            heart_rate = rng.randint(140, 165)
        else:
            heart_rate = rng.randint(62, 95) + (15 if walking else 0)
        if rng.random() < 0.03:
            heart_rate = rng.choice((0, 255))  # the band did not measure
        heart_rate = spec.edited_heart_rates.get((band.local_id, ts), heart_rate)
        intensity = rng.randint(0, 8) if asleep else rng.randint(20, 120)
        extra: tuple = ()
        if band.sample_table == "MI_BAND_ACTIVITY_SAMPLE":
            # a kind at each change (12: woke up), else "no change" (0) or "ignore" (10); by day 1 when
            # walking, 2 when running; some codes with their high bits set
            if stage is not None:
                kind_now = HUAMI_STAGE.get(stage, 9)
            else:
                kind_now = 2 if running else 1 if steps else 12 if previous_stage is not None else 0
            changed = stage != previous_stage or minute % 97 == 0 or (stage is None and kind_now)
            raw_kind = kind_now if changed and kind_now else rng.choice((0, 0, 0, 10))
            if raw_kind and rng.random() < 0.2:
                raw_kind |= 0x70
        elif band.sample_table == "HUAMI_EXTENDED_ACTIVITY_SAMPLE":
            raw_kind = 120 if asleep else (64 if running else rng.choice((-1, 1, 17)))
            deep_level = rng.randint(50, 90) if stage == "deep" else rng.randint(0, 30)
            rem_level = rng.randint(60, 100) if stage == "rem" else rng.randint(0, 40)
            extra = (0, rng.randint(0, 100) if asleep else 0, deep_level | 0x80, rem_level)
        else:
            raw_kind = 1 if steps else 0  # asleep: 0, the stages are in XIAOMI_SLEEP_STAGE_SAMPLE
            extra = (rng.randint(10, 60), rng.choice((None, 96, 97, 98)))
        previous_stage = stage
        rows.append((ts, band.local_id, 1, intensity, steps, raw_kind, heart_rate, *extra))
    return rows


def _xiaomi_sleep(day: date, band: Band) -> tuple[list[tuple], tuple]:
    """The stage changes of the night that ends on `day` and its sleep-time row."""
    bed = _unix(day - timedelta(days=1), NIGHT_START_MIN)
    changes, previous = [], None
    for minute in range(NIGHT_MINUTES):
        stage = sleep_stage_at(minute)
        if stage != previous:
            changes.append(((bed + minute * 60) * 1000, band.local_id, 1, XIAOMI_SLEEP_STAGE[stage]))
            previous = stage
    wake = bed + NIGHT_MINUTES * 60
    changes.append((wake * 1000, band.local_id, 1, 0))  # not sleep any more
    minutes = {
        name: sum(1 for m in range(NIGHT_MINUTES) if sleep_stage_at(m) == name) for name in XIAOMI_SLEEP_STAGE
    }
    night = (
        bed * 1000,
        band.local_id,
        1,
        wake * 1000,
        0,
        NIGHT_MINUTES,
        minutes["deep"],
        minutes["light"],
        minutes["rem"],
        0,
    )
    return changes, night


def _summary(day: date, row_id: int) -> tuple:
    start = _unix(day, RUN_START_MIN)
    end = start + RUN_MINUTES * 60
    summary = {
        "activeSeconds": {"value": RUN_MINUTES * 60, "unit": "seconds"},
        "distanceMeters": {"value": 6120.0, "unit": "meters"},
        "averageHR": {"value": 152.0, "unit": "bpm"},
        "maxHR": {"value": 165.0, "unit": "bpm"},
        "minHR": {"value": 121.0, "unit": "bpm"},
        "caloriesBurnt": {"value": 412.0, "unit": "calories_unit"},
        "steps": {"value": 6600, "unit": "steps_unit"},
        "ascentMeters": {"value": 38.0, "unit": "meters"},
    }
    return (
        row_id,
        "Outdoor Running",
        start * 1000,
        end * 1000,
        ACTIVITY_KIND_RUNNING,
        None,
        None,
        None,
        f"/storage/emulated/0/Android/data/nodomain.freeyourgadget.gadgetbridge/files/{start}.gpx",
        None,
        MI_BAND_5.local_id,
        1,
        json.dumps(summary),
        b"\x01\x02\x03",
    )


def write_database(path: Path, spec: DatabaseSpec | None = None) -> Path:
    spec = spec or DatabaseSpec()
    path = Path(path)
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path)
    try:
        for statement in SCHEMA:
            connection.execute(statement)
        connection.execute(f"pragma user_version = {SCHEMA_VERSION}")
        connection.execute("insert into android_metadata values ('en_GB')")
        connection.execute(
            'insert into "USER" values (1, ?, ?, 1)',
            ("Gadgetbridge user", _unix(date(1988, 5, 17), 0) * 1000),
        )
        connection.execute(
            'insert into "USER_ATTRIBUTES" values (1, 178, 72, 8, 8000, ?, NULL, 1)',
            (_unix(spec.first_day, 0) * 1000,),
        )
        for band in spec.bands:
            connection.execute(
                'insert into "DEVICE" values (?, ?, ?, ?, ?, ?, NULL, NULL, NULL)',
                (band.local_id, band.name, band.manufacturer, band.identifier, band.type_id, band.type_name),
            )
            connection.execute(
                'insert into "DEVICE_ATTRIBUTES" ("FIRMWARE_VERSION1", "VALID_FROM_UTC", "DEVICE_ID") values (?, ?, ?)',
                (band.firmware, _unix(spec.first_day, 0) * 1000, band.local_id),
            )
        summary_id = 1
        for day in spec.day_list:
            for band in spec.bands:
                rows = _day_samples(spec, band, day)
                marks = ", ".join("?" * len(rows[0]))
                connection.executemany(f'insert into "{band.sample_table}" values ({marks})', rows)
                if band.sample_table == "XIAOMI_ACTIVITY_SAMPLE":
                    changes, night = _xiaomi_sleep(day, band)
                    connection.executemany(
                        'insert into "XIAOMI_SLEEP_STAGE_SAMPLE" values (?, ?, ?, ?)', changes
                    )
                    connection.execute(
                        f'insert into "XIAOMI_SLEEP_TIME_SAMPLE" values ({", ".join("?" * 10)})', night
                    )
            if MI_BAND_5 in spec.bands and day.toordinal() % 2 == 0:
                connection.execute(
                    f'insert into "BASE_ACTIVITY_SUMMARY" values ({", ".join("?" * 14)})',
                    _summary(day, summary_id),
                )
                summary_id += 1
        connection.execute('insert into "BATTERY_LEVEL" values (?, 1, 80, 0)', (_unix(spec.first_day, 60),))
        connection.commit()
    finally:
        connection.close()
    return path


def write_export_zip(path: Path, spec: DatabaseSpec | None = None) -> Path:
    """The app's zip export: ``database/Gadgetbridge`` beside preferences and files we do not read."""
    path = Path(path)
    database = write_database(path.with_suffix(".tmp-db"), spec)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(database, "database/Gadgetbridge")
        archive.writestr("preferences/nodomain.freeyourgadget.gadgetbridge_preferences.xml", "<map/>")
        archive.writestr("files/gadgetbridge.log", "log lines\n")
    database.unlink()
    return path
