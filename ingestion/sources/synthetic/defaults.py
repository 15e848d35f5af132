"""Fixed settings of the synthetic cohort: places, device catalogue, plan templates, chunk size.

Everything random is drawn from generators seeded by (seed, athlete index, day, purpose), so these tables are the only
other input to the generated data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SOURCE_NAME = "synthetic"

# Day numbers count from the Unix epoch; weeks are anchored on a Monday so plans line up with ISO weeks.
EPOCH_DAY = date(1970, 1, 1)
EPOCH_MONDAY = date(1970, 1, 5)

# Days generated together per athlete: one batch (chunk) of every table. ~56 days give ~250k stream rows.
CHUNK_DAYS = 56
# Days of plan history computed before a chunk so the fatigue model (ATL/CTL) is warmed up.
LOAD_WARMUP_DAYS = 56


@dataclass(frozen=True)
class Place:
    zone: str  # IANA time zone
    lat: float
    lon: float
    altitude_m: float
    southern: bool = False
    hilliness_m: float = 20.0  # amplitude of the local road elevation profile


HOMES: tuple[Place, ...] = (
    Place("Europe/Berlin", 52.5163, 13.3777, 34.0, hilliness_m=12.0),
    Place("America/Denver", 39.7392, -104.9903, 1609.0, hilliness_m=70.0),
    Place("Australia/Sydney", -33.8688, 151.2093, 25.0, southern=True, hilliness_m=35.0),
    Place("Europe/London", 51.5072, -0.1276, 15.0, hilliness_m=18.0),
    Place("America/New_York", 40.7128, -74.0060, 10.0, hilliness_m=15.0),
    Place("Asia/Tokyo", 35.6762, 139.6503, 40.0, hilliness_m=25.0),
)

# Where each home's athlete travels (always at least 5 hours away, so day attribution is really tested).
TRAVEL_TO: dict[str, Place] = {
    "Europe/Berlin": Place("America/New_York", 40.7812, -73.9665, 20.0, hilliness_m=10.0),
    "America/Denver": Place("Asia/Tokyo", 35.6895, 139.6917, 40.0, hilliness_m=20.0),
    "Australia/Sydney": Place("Europe/London", 51.5074, -0.1657, 20.0, hilliness_m=15.0),
    "Europe/London": Place("America/Los_Angeles", 34.0522, -118.2437, 90.0, hilliness_m=40.0),
    "America/New_York": Place("Europe/Berlin", 52.5163, 13.3777, 34.0, hilliness_m=12.0),
    "Asia/Tokyo": Place("America/Denver", 39.7392, -104.9903, 1609.0, hilliness_m=60.0),
}

# A trip of TRAVEL_DAYS days starts on the Monday of every TRAVEL_EVERY_WEEKS-th week (phase per athlete).
TRAVEL_EVERY_WEEKS = 13
TRAVEL_DAYS = 7

# Training blocks: 3 build weeks then 1 recovery week; the fitness test falls on the recovery week.
BLOCK_WEEKS = 4
WEEK_LOAD = (1.0, 1.1, 1.2, 0.65)

ARCHETYPES = ("triathlete", "cyclist", "runner")


@dataclass(frozen=True)
class DeviceModel:
    device_type: str  # watch, bike_computer, chest_strap, ring, scale
    manufacturer: str
    product_name: str
    code: int  # digit used inside vendor ids


WATCH = DeviceModel("watch", "garmin", "Forerunner 965", 1)
BIKE_COMPUTER = DeviceModel("bike_computer", "wahoo", "ELEMNT BOLT v2", 2)
CHEST_STRAP = DeviceModel("chest_strap", "polar", "H10", 3)
RING = DeviceModel("ring", "oura", "Oura Ring Gen3", 4)
SCALE = DeviceModel("scale", "withings", "Body+", 5)

DEVICE_MODELS_BY_ARCHETYPE: dict[str, tuple[DeviceModel, ...]] = {
    "triathlete": (WATCH, BIKE_COMPUTER, CHEST_STRAP, RING, SCALE),
    "cyclist": (WATCH, BIKE_COMPUTER, CHEST_STRAP, RING, SCALE),
    "runner": (WATCH, CHEST_STRAP, RING, SCALE),
}

# Probability that a second device records the same workout (a duplicate recording for the merge).
P_WATCH_ON_OUTDOOR_RIDE = 0.6
P_WATCH_ON_INDOOR_RIDE = 0.45
P_STRAP_ON_RUN = 0.12
P_STRAP_ON_STRENGTH = 0.5
# Adversarial cases.
P_SPLIT_FILE = 0.07  # the bike computer splits a long ride into two files
P_LARGE_SKEW = 0.12  # a device clock is 45-120 s off for this recording
P_BACK_TO_BACK_STRENGTH = 0.25  # strength right after an evening run (1-3 min later)
P_SKIP = 0.06  # a planned session is skipped

# Vendor unit conversions.
SEMICIRCLES_PER_DEGREE = 2**31 / 180.0
