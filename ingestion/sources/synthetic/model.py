"""The synthetic cohort's truth: athletes, their devices and dated profiles, where they are, and what they do each day.

Everything is a pure function of (seed, athlete index, calendar date): the plan for a day never depends on the window
being generated or on how many athletes there are, so incremental loads and sliding windows give identical history.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from . import defaults as d


class Purpose(enum.IntEnum):
    """What a random stream is for: each purpose draws from its own generator."""

    ATHLETE = 1
    PLAN = 2
    SLEEP = 3
    TEST = 4
    STREAM = 5
    DAILY = 6
    WEIGH = 7
    INTRADAY = 8
    HYPNO = 9
    ILLNESS = 10
    # Numbered apart from the others so that purposes added elsewhere in parallel do not collide.
    OVERREACHING = 21
    SLEEP_RESTRICTION = 22
    FAULT = 11


def day_number(day: date) -> int:
    return (day - d.EPOCH_DAY).days


def rng_for(
    seed: int, athlete_index: int, day: date | None, purpose: int, extra: int = 0
) -> np.random.Generator:
    """An independent random generator per (seed, athlete, day, purpose): no draw depends on any other."""
    key = [seed & 0xFFFFFFFF, athlete_index, day_number(day) + 100_000 if day else 0, purpose, extra]
    return np.random.default_rng(key)


@lru_cache(maxsize=64)
def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_to_epoch(day: date, hours: float, zone: str) -> int:
    """Epoch seconds of a local wall-clock time (hours after local midnight, may exceed 24 or be negative)."""
    midnight = datetime.combine(day, time(0), tzinfo=zone_info(zone))
    return int(midnight.timestamp() + round(hours * 3600))


def utc_offset_s(epoch_s: int, zone: str) -> int:
    offset = datetime.fromtimestamp(epoch_s, tz=zone_info(zone)).utcoffset()
    return int(offset.total_seconds()) if offset else 0


@dataclass(frozen=True)
class Device:
    device_id: str
    athlete_id: str
    model: d.DeviceModel
    serial_number: str
    base_skew_s: float  # clock error of this device, seconds


@dataclass(frozen=True)
class Athlete:
    index: int
    athlete_id: str
    display_name: str
    sex: str
    birth_year: int
    archetype: str
    home: d.Place
    travel: d.Place
    weight_kg: float
    body_fat_pct: float
    hr_max_offset: float  # individual deviation from the age formula
    hr_rest_base: float
    lthr_fraction: float  # LTHR as a fraction of HRmax
    ftp_base_w: float
    threshold_speed_base: float  # m/s
    css_mps: float  # swim critical speed
    hrv_base_ms: float
    hr_tau_s: float  # first-order heart-rate response time constant
    steps_base: int
    chronotype_h: float  # shifts bed and wake times
    travel_phase_weeks: int
    block_phase_weeks: int
    devices: tuple[Device, ...]

    def device(self, device_type: str) -> Device | None:
        for device in self.devices:
            if device.model.device_type == device_type:
                return device
        return None


_FIRST_NAMES = {
    "F": ("Anna", "Mia", "Sofia", "Lena", "Chloe", "Yuki", "Grace", "Ella"),
    "M": ("Lukas", "Noah", "Jack", "Mateo", "Kenji", "Oliver", "Leon", "Ethan"),
}
_LAST_NAMES = (
    "Berg",
    "Walker",
    "Nguyen",
    "Silva",
    "Tanaka",
    "Moreau",
    "Fischer",
    "Brown",
    "Kowalski",
    "Rossi",
)


@lru_cache(maxsize=4096)
def make_athlete(seed: int, index: int) -> Athlete:
    """Athlete ``index`` of the cohort; it does not depend on how many athletes are generated."""
    rng = rng_for(seed, index, None, Purpose.ATHLETE)
    sex = "F" if rng.random() < 0.45 else "M"
    birth_year = int(rng.integers(1972, 2001))
    archetype = d.ARCHETYPES[index % len(d.ARCHETYPES)]
    city = d.HOMES[index % len(d.HOMES)]
    # each athlete lives somewhere in the city (up to ~4 km from its centre)
    home = replace(city, lat=city.lat + rng.uniform(-0.035, 0.035), lon=city.lon + rng.uniform(-0.05, 0.05))
    female = sex == "F"
    weight = float(rng.normal(61 if female else 74, 5))
    athlete_id = f"athlete-{index + 1:03d}"
    devices = []
    for model in d.DEVICE_MODELS_BY_ARCHETYPE[archetype]:
        serial = f"{index + 1:03d}{model.code}{int(rng.integers(10**6, 10**7))}"
        skew = {"watch": 0.0, "bike_computer": rng.uniform(-4, 4), "chest_strap": rng.uniform(-20, 20)}.get(
            model.device_type, 0.0
        )
        devices.append(Device(f"{model.manufacturer}-{serial}", athlete_id, model, serial, float(skew)))
    ftp_per_kg = rng.uniform(2.9, 4.0) if archetype != "runner" else rng.uniform(2.6, 3.3)
    return Athlete(
        index=index,
        athlete_id=athlete_id,
        display_name=f"{rng.choice(_FIRST_NAMES[sex])} {rng.choice(_LAST_NAMES)}",
        sex=sex,
        birth_year=birth_year,
        archetype=archetype,
        home=home,
        travel=d.TRAVEL_TO[city.zone],
        weight_kg=round(weight, 1),
        body_fat_pct=float(rng.uniform(18, 26) if female else rng.uniform(9, 17)),
        hr_max_offset=float(rng.normal(0, 5)),
        hr_rest_base=float(rng.uniform(44, 58)),
        lthr_fraction=float(rng.uniform(0.88, 0.92)),
        ftp_base_w=float(weight * ftp_per_kg),
        threshold_speed_base=float(
            (rng.uniform(3.6, 4.4) if archetype == "runner" else rng.uniform(3.2, 4.0))
            * (0.92 if female else 1.0)
        ),
        css_mps=float(rng.uniform(1.05, 1.4)),
        hrv_base_ms=float(np.clip(rng.normal(72 - 0.6 * (2025 - birth_year - 25), 12), 30, 130)),
        hr_tau_s=float(rng.uniform(25, 35)),
        steps_base=int(rng.integers(6000, 11000)),
        chronotype_h=float(rng.uniform(-0.6, 0.6)),
        travel_phase_weeks=int((index * 5 + 3) % d.TRAVEL_EVERY_WEEKS),
        block_phase_weeks=int(index % d.BLOCK_WEEKS),
        devices=tuple(devices),
    )


# ---------------------------------------------------------------------------------------------- calendar and place


def week_index(day: date) -> int:
    return (day - d.EPOCH_MONDAY).days // 7


def block_week(athlete: Athlete, day: date) -> int:
    """0, 1, 2 = build weeks, 3 = recovery week."""
    return (week_index(day) + athlete.block_phase_weeks) % d.BLOCK_WEEKS


def trip_start(athlete: Athlete, day: date) -> date | None:
    """The first day of the trip that covers ``day``, if the athlete is travelling then."""
    monday = day - timedelta(days=day.weekday())
    for back in range(0, d.TRAVEL_DAYS // 7 + 2):
        start = monday - timedelta(weeks=back)
        trip_week = (week_index(start) + athlete.travel_phase_weeks) % d.TRAVEL_EVERY_WEEKS == 0
        if trip_week and start <= day < start + timedelta(days=d.TRAVEL_DAYS):
            return start
    return None


def place_on(athlete: Athlete, day: date) -> d.Place:
    return athlete.travel if trip_start(athlete, day) else athlete.home


def is_travel_day(athlete: Athlete, day: date) -> bool:
    """Days when the athlete flies or is about to (no training): the zone changes between this day and the next."""
    return place_on(athlete, day) != place_on(athlete, day + timedelta(days=1)) or place_on(
        athlete, day
    ) != place_on(athlete, day - timedelta(days=1))


def day_start_epoch(athlete: Athlete, day: date) -> int:
    """Local midnight of ``day`` in the zone the athlete is in that day; the next day's start ends it."""
    return local_to_epoch(day, 0.0, place_on(athlete, day).zone)


# ---------------------------------------------------------------------------------------------- dated profile


@dataclass(frozen=True)
class Profile:
    athlete_id: str
    effective_from: date
    max_hr: int
    resting_hr: int
    lthr: int
    ftp_w: int
    threshold_speed: float  # m/s
    source: str


def season_fitness(athlete: Athlete, day: date) -> float:
    """0..1: fitness builds through the season and drops in the off-season (half a year shifted in the south)."""
    doy = day.timetuple().tm_yday + (182 if athlete.home.southern else 0)
    phase = ((doy - 15) % 365) / 365  # 0 in mid-January (north), peak in early October
    return phase / 0.7 if phase < 0.7 else 1.0 - (phase - 0.7) / 0.3


def test_day(athlete: Athlete, day: date) -> date:
    """The most recent fitness-test day on or before ``day`` (Wednesday of a recovery week)."""
    monday = day - timedelta(days=day.weekday())
    while block_week(athlete, monday) != 3 or monday + timedelta(days=2) > day:
        monday -= timedelta(weeks=1)
    return monday + timedelta(days=2)


@lru_cache(maxsize=65536)
def profile_from(seed: int, athlete: Athlete, tested: date) -> Profile:
    """The thresholds measured at the fitness test on ``tested``."""
    rng = rng_for(seed, athlete.index, tested, Purpose.TEST)
    fit = season_fitness(athlete, tested)
    age = tested.year - athlete.birth_year
    hr_max = 208 - 0.7 * age + athlete.hr_max_offset
    return Profile(
        athlete_id=athlete.athlete_id,
        effective_from=tested,
        max_hr=int(round(hr_max)),
        resting_hr=int(round(athlete.hr_rest_base - 3 * fit + rng.normal(0, 0.5))),
        lthr=int(round(hr_max * athlete.lthr_fraction + 2 * fit)),
        ftp_w=int(round(athlete.ftp_base_w * (0.92 + 0.1 * fit) * (1 + rng.normal(0, 0.008)))),
        threshold_speed=round(
            athlete.threshold_speed_base * (0.95 + 0.07 * fit) * (1 + rng.normal(0, 0.005)), 3
        ),
        source="fitness_test",
    )


def profile_on(seed: int, athlete: Athlete, day: date) -> Profile:
    return profile_from(seed, athlete, test_day(athlete, day))


def profiles_for_window(seed: int, athlete: Athlete, first: date, last: date) -> list[Profile]:
    """The profile in force on ``first`` plus every fitness test up to ``last``."""
    out = [profile_on(seed, athlete, first)]
    day = out[0].effective_from + timedelta(weeks=d.BLOCK_WEEKS)
    while day <= last:
        out.append(profile_from(seed, athlete, day))
        day += timedelta(weeks=d.BLOCK_WEEKS)
    return out


# ---------------------------------------------------------------------------------------------- the daily plan


@dataclass(frozen=True)
class Segment:
    duration_s: int
    intensity: float  # fraction of threshold (power for rides, speed for runs/swims); 0 = rest/stop


@dataclass
class Recording:
    """One file/upload of a workout by one device (the merge's input)."""

    activity_id: str
    device: Device
    activity_type: str
    covers: tuple[int, int]  # true seconds [from, to) of the workout this file covers
    skew_s: int  # device clock minus true time
    part_index: int = 0
    n_parts: int = 1
    is_duplicate_copy: bool = False

    def start_epoch(self, workout: Workout) -> int:
        return workout.start_epoch + self.covers[0] + self.skew_s


@dataclass
class Workout:
    """One real workout (the truth); it has one or more recordings."""

    workout_id: str
    athlete: Athlete
    day: date
    slot: int
    sport: str  # ride, run, swim, strength
    kind: str  # endurance, intervals, race, warmup, test, ...
    activity_type: str
    start_epoch: int
    segments: tuple[Segment, ...]
    indoor: bool
    trail: bool
    place: d.Place
    rpe: int | None
    tags: tuple[str, ...] = ()
    recordings: list[Recording] = field(default_factory=list)

    @property
    def duration_s(self) -> int:
        return sum(s.duration_s for s in self.segments)

    @property
    def end_epoch(self) -> int:
        return self.start_epoch + self.duration_s

    @property
    def intensity_factor(self) -> float:
        total = self.duration_s
        return (
            float(np.sqrt(sum(s.duration_s * s.intensity**2 for s in self.segments) / total))
            if total
            else 0.0
        )

    @property
    def load(self) -> float:
        """TSS-like load, used only by the fatigue model of the daily wellness data."""
        factor = {"ride": 1.0, "run": 1.0, "swim": 0.8, "strength": 0.6}[self.sport]
        return factor * self.duration_s / 3600 * self.intensity_factor**2 * 100


@dataclass
class SleepTruth:
    onset_epoch: int
    wake_epoch: int


@dataclass
class DayPlan:
    athlete: Athlete
    day: date
    place: d.Place
    travelling: bool
    travel_day: bool
    sleep: SleepTruth  # the night that ends on this day's morning
    workouts: list[Workout]
    weigh_in_epoch: int | None


def _segments(rng: np.random.Generator, sport: str, kind: str, minutes: float) -> list[Segment]:
    """Workout structure: warm-up, main set and cool-down as intensity segments."""
    total = int(minutes * 60)
    if sport == "strength":
        out, used = [Segment(300, 0.45)], 300
        while used < total - 300:
            out += [Segment(int(rng.integers(35, 60)), 0.85), Segment(int(rng.integers(60, 120)), 0.4)]
            used += out[-1].duration_s + out[-2].duration_s
        return out + [Segment(max(60, total - used), 0.35)]
    if sport == "swim":
        out, used = [Segment(400, 0.75), Segment(30, 0.0)], 430
        while used < total - 300:
            rep = int(rng.choice([100, 200, 400]) / 1.2)
            out += [Segment(rep, float(rng.uniform(0.88, 1.02))), Segment(int(rng.integers(15, 40)), 0.0)]
            used += out[-1].duration_s + out[-2].duration_s
        return out + [Segment(max(120, total - used), 0.7)]
    warm, cool = min(900, total // 5), min(600, total // 8)
    main = total - warm - cool
    easy = 0.68 if sport == "ride" else 0.78
    if kind in ("intervals", "vo2"):
        on, off = (240, 180) if kind == "vo2" else (180, 120)
        reps = max(1, main // (on + off))
        body = [Segment(on, 1.15 if sport == "ride" else 1.08), Segment(off, 0.5)] * int(reps)
        rest = main - reps * (on + off)
        return [Segment(warm, 0.6), *body, Segment(int(rest) + cool, 0.55)]
    if kind in ("sweetspot", "threshold", "tempo"):
        level = {"sweetspot": 0.9, "threshold": 0.98, "tempo": 0.83}[kind]
        reps = max(1, main // 1080)
        body = [Segment(780, level), Segment(300, 0.55)] * int(reps)
        rest = main - reps * 1080
        return [Segment(warm, 0.6), *body, Segment(int(rest) + cool, 0.55)]
    if kind == "test":
        test_len = 1200 if sport == "ride" else 1800
        return [
            Segment(900, 0.6),
            Segment(300, 0.9),
            Segment(300, 0.5),
            Segment(test_len, 1.04),
            Segment(600, 0.5),
        ]
    if kind == "race":
        return [Segment(total, float(rng.uniform(1.0, 1.06)))]
    if kind == "warmup":
        return [Segment(total - 120, 0.65), Segment(120, 0.95)]
    return [Segment(total, float(rng.uniform(easy - 0.04, easy + 0.04)))]


# (weekday) -> list of (sport, kind, local start hour, minutes)
_TEMPLATES: dict[str, dict[int, list[tuple[str, str, float, float]]]] = {
    "triathlete": {
        0: [],
        1: [("run", "intervals", 6.75, 55), ("swim", "sets", 18.5, 50)],
        2: [("ride_indoor", "sweetspot", 18.0, 75)],
        3: [("run", "endurance", 6.75, 45), ("strength", "strength", 18.5, 40)],
        4: [("swim", "sets", 7.0, 45)],
        5: [("ride", "endurance", 8.5, 180)],
        6: [("run", "long", 8.0, 90)],
    },
    "cyclist": {
        0: [],
        1: [("ride_indoor", "vo2", 18.0, 70)],
        2: [("ride", "endurance", 17.0, 90)],
        3: [("strength", "strength", 7.0, 45), ("ride_indoor", "threshold", 18.0, 65)],
        4: [],
        5: [("ride", "endurance", 8.0, 210)],
        6: [("ride", "tempo", 9.0, 120)],
    },
    "runner": {
        0: [],
        1: [("run", "intervals", 6.75, 60)],
        2: [("run", "endurance", 6.75, 50), ("strength", "strength", 18.5, 35)],
        3: [("run", "tempo", 6.75, 60)],
        4: [("swim", "sets", 7.0, 40)],
        5: [("run", "endurance", 8.5, 45)],
        6: [("run", "long", 8.0, 100)],
    },
}

_ACTIVITY_TYPES = {
    ("ride", False): "cycling",
    ("ride", True): "indoor_cycling",
    ("run", False): "running",
    ("run", True): "running",
    ("swim", True): "lap_swimming",
    ("swim", False): "open_water_swimming",
    ("strength", True): "strength_training",
}


def vendor_activity_id(athlete: Athlete, day: date, slot: int, device: Device, part: int) -> str:
    """Deterministic numeric vendor id, unique per (athlete, day, slot, device, file part)."""
    return f"1{athlete.index + 1:03d}{day_number(day):05d}{slot:02d}{device.model.code}{part}"


def workout_id(athlete: Athlete, day: date, slot: int) -> str:
    return f"W{athlete.index + 1:03d}-{day:%Y%m%d}-{slot:02d}"


def _skew(rng: np.random.Generator, device: Device) -> int:
    skew = device.base_skew_s + rng.normal(0, 1.5)
    if device.model.device_type != "watch" and rng.random() < d.P_LARGE_SKEW:
        skew += rng.choice([-1, 1]) * rng.uniform(45, 120)
    return int(round(skew))


def _add_recordings(rng: np.random.Generator, w: Workout) -> None:
    """Which devices record the workout, with clock skew, start/stop delays and split files."""
    a = w.athlete
    watch, bike, strap = a.device("watch"), a.device("bike_computer"), a.device("chest_strap")
    total = w.duration_s
    recs: list[tuple[Device, tuple[int, int]]] = []
    if w.sport == "ride" and bike is not None:
        recs.append((bike, (0, total)))
        p_watch = d.P_WATCH_ON_INDOOR_RIDE if w.indoor else d.P_WATCH_ON_OUTDOOR_RIDE
        if watch is not None and rng.random() < p_watch:
            recs.append((watch, (int(rng.integers(3, 45)), total - int(rng.integers(-20, 50)))))
    else:
        recs.append((watch, (0, total)))
        p_strap = {"run": d.P_STRAP_ON_RUN, "strength": d.P_STRAP_ON_STRENGTH}.get(w.sport, 0.0)
        if strap is not None and w.kind != "race" and rng.random() < p_strap:
            recs.append((strap, (int(rng.integers(-30, 20)), total + int(rng.integers(-30, 40)))))
    for device, (lo, hi) in recs:
        lo, hi = (
            max(0, lo),
            min(total, hi),
        )  # a device cannot record the workout before it starts or after it ends
        primary = device is recs[0][0]
        skew = _skew(rng, device)
        split = (
            device.model.device_type == "bike_computer"
            and not w.indoor
            and total > 3600
            and rng.random() < d.P_SPLIT_FILE
        )
        if split:
            cut = int(rng.uniform(0.3, 0.7) * total)
            gap = int(rng.integers(20, 150))
            parts = [(lo, cut), (cut + gap, hi)]
            w.tags = (*w.tags, "split_file")
        else:
            parts = [(lo, hi)]
        for part, covers in enumerate(parts):
            w.recordings.append(
                Recording(
                    activity_id=vendor_activity_id(a, w.day, w.slot, device, part),
                    device=device,
                    activity_type=w.activity_type,
                    covers=covers,
                    skew_s=skew,
                    part_index=part,
                    n_parts=len(parts),
                    is_duplicate_copy=not (primary and part == 0),
                )
            )
        if abs(skew) >= 45:
            w.tags = (*w.tags, "clock_skew")
    if len({r.device.device_id for r in w.recordings}) > 1:
        w.tags = (*w.tags, "multi_device")


@lru_cache(maxsize=8192)
def plan_day(seed: int, athlete: Athlete, day: date) -> DayPlan:
    """The athlete's day: last night's sleep, the workouts (with their recordings) and a weigh-in."""
    rng = rng_for(seed, athlete.index, day, Purpose.PLAN)
    place = place_on(athlete, day)
    zone = place.zone
    travelling = trip_start(athlete, day) is not None
    travel_day = is_travel_day(athlete, day)
    weekend = day.weekday() >= 5

    srng = rng_for(seed, athlete.index, day, Purpose.SLEEP)
    wake_h = (7.6 if weekend else 6.1) + athlete.chronotype_h + srng.normal(0, 0.25)
    sleep_h = float(np.clip(srng.normal(7.6 if weekend else 7.1, 0.5), 5.2, 9.8))
    if travelling and trip_start(athlete, day) == day:
        sleep_h -= 1.2  # first night after the flight is short
    restriction = sleep_restriction_on(seed, athlete, day)
    if restriction is not None:  # a labelled short night (ground truth: truth.event_truth): to bed later
        # Floored at 4.5 h: still within the 4-11 h nights the generator promises.
        sleep_h = max(4.5, sleep_h - restriction.cut_h)
    wake = local_to_epoch(day, wake_h, zone)
    sleep = SleepTruth(onset_epoch=wake - int(sleep_h * 3600), wake_epoch=wake)

    workouts: list[Workout] = []
    bweek = block_week(athlete, day)
    scale = d.WEEK_LOAD[bweek]
    template = [] if travel_day else list(_TEMPLATES[athlete.archetype][day.weekday()])
    # Recovery week: the Wednesday is the fitness test; the weekend long session is shorter and easy.
    if bweek == 3 and day.weekday() == 2 and not travel_day:
        sport = "run" if athlete.archetype == "runner" else "ride_indoor"
        template = [(sport, "test", 17.5, 70 if sport == "run" else 60)]
    if travelling:
        template = [t for t in template if t[0] in ("run", "strength")][:1]
    # Race weekends (every other build week): warm-up then race a few minutes later (separate workouts).
    race_day = (
        bweek in (0, 2)
        and day.weekday() == 5
        and athlete.archetype != "cyclist"
        and not travel_day
        and not travelling
    )
    if race_day:
        template = [
            ("run", "warmup", 8.5, float(rng.uniform(12, 20))),
            ("run", "race", 0.0, float(rng.uniform(18, 42))),
        ]
    cyclist_race = bweek == 1 and day.weekday() == 6 and athlete.archetype == "cyclist" and not travel_day
    if cyclist_race:
        template = [
            ("ride", "warmup", 9.0, float(rng.uniform(15, 25))),
            ("ride", "race", 0.0, float(rng.uniform(55, 80))),
        ]
    brick = athlete.archetype == "triathlete" and day.weekday() == 5 and bweek == 1 and not travel_day
    if brick and template:
        template.append(("run", "brick", 0.0, float(rng.uniform(15, 25))))

    prev_end = sleep.wake_epoch + int(rng.uniform(20, 45) * 60)
    for slot, (sport_name, kind, start_h, minutes) in enumerate(template):
        if kind not in ("test", "race", "brick") and rng.random() < d.P_SKIP:
            continue
        indoor = sport_name in ("ride_indoor", "swim", "strength")
        sport = "ride" if sport_name.startswith("ride") else sport_name
        if kind not in ("test", "race", "warmup"):
            minutes = minutes * (scale if bweek == 3 or kind in ("long", "endurance") else 1.0)
            minutes *= float(rng.uniform(0.9, 1.1))
        if bweek == 3 and kind in ("intervals", "vo2", "threshold", "sweetspot", "tempo"):
            kind = "endurance"
        trail = sport == "run" and kind == "long" and rng.random() < 0.45
        open_water = (
            sport == "swim" and not travelling and season_fitness(athlete, day) > 0.7 and rng.random() < 0.3
        )
        if open_water:
            indoor = False
        if start_h == 0.0:  # chained to the previous workout: a few minutes after it ends
            gap_min = {"race": rng.uniform(3, 9), "brick": rng.uniform(2, 5)}.get(kind, rng.uniform(1, 3))
            start = prev_end + int(gap_min * 60)
        else:
            start = max(local_to_epoch(day, start_h + rng.normal(0, 0.2), zone), prev_end + 600)
        segments = tuple(_segments(rng, sport, kind, minutes))
        tags: tuple[str, ...] = ()
        if start_h == 0.0:
            tags = ("near_simultaneous",)
        w = Workout(
            workout_id=workout_id(athlete, day, slot),
            athlete=athlete,
            day=day,
            slot=slot,
            sport=sport,
            kind=kind,
            activity_type="trail_running" if trail else _ACTIVITY_TYPES[(sport, indoor)],
            start_epoch=int(start),
            segments=segments,
            indoor=indoor,
            trail=trail,
            place=place,
            rpe=int(np.clip(round(rng.normal(6.5, 1.2)), 1, 10)) if sport == "strength" else None,
            tags=tags,
        )
        _add_recordings(rng, w)
        workouts.append(w)
        prev_end = w.end_epoch
        # Now and then strength follows an easy run straight away: back to back, two separate workouts.
        if sport == "run" and kind == "endurance" and rng.random() < d.P_BACK_TO_BACK_STRENGTH:
            extra = Workout(
                workout_id=workout_id(athlete, day, slot + 10),
                athlete=athlete,
                day=day,
                slot=slot + 10,
                sport="strength",
                kind="strength",
                activity_type="strength_training",
                start_epoch=prev_end + int(rng.uniform(1, 3) * 60),
                segments=tuple(_segments(rng, "strength", "strength", float(rng.uniform(15, 25)))),
                indoor=True,
                trail=False,
                place=place,
                rpe=int(np.clip(round(rng.normal(5.5, 1.0)), 1, 10)),
                tags=("near_simultaneous", "back_to_back"),
            )
            _add_recordings(rng, extra)
            workouts.append(extra)
            prev_end = extra.end_epoch

    weigh_in = None
    if athlete.device("scale") and not travelling and day.weekday() in (0, 2, 5) and rng.random() < 0.85:
        weigh_in = sleep.wake_epoch + int(rng.uniform(5, 25) * 60)
    return DayPlan(athlete, day, place, travelling, travel_day, sleep, workouts, weigh_in)


# ------------------------------------------------------------------------------------ illness (ground truth)

# Labelled illness episodes for the anomaly benchmark: anchored on absolute 8-week periods (like training blocks),
# so a day's state never depends on the window. About two episodes a year per athlete.
ILLNESS_PERIOD_DAYS = 56
P_ILLNESS_PER_PERIOD = 0.3


@dataclass(frozen=True)
class IllnessEpisode:
    """A few days of illness: resting HR up and HRV down (Buchheit 2014's typical early-illness picture)."""

    start: date
    days: int
    rhr_rise_bpm: float
    hrv_factor: float  # RMSSD multiplied by this (< 1)

    @property
    def last(self) -> date:
        return self.start + timedelta(days=self.days - 1)


def illness_in_period(seed: int, athlete: Athlete, period: int) -> IllnessEpisode | None:
    """The episode of 8-week period `period` (day_number // 56), or None; always inside the period."""
    first = d.EPOCH_DAY + timedelta(days=period * ILLNESS_PERIOD_DAYS)
    rng = rng_for(seed, athlete.index, first, Purpose.ILLNESS)
    if rng.random() >= P_ILLNESS_PER_PERIOD:
        return None
    days = int(rng.integers(3, 7))
    offset = int(rng.integers(0, ILLNESS_PERIOD_DAYS - days + 1))
    return IllnessEpisode(
        first + timedelta(days=offset), days, float(rng.uniform(6, 10)), float(rng.uniform(0.6, 0.75))
    )


def illness_on(seed: int, athlete: Athlete, day: date) -> IllnessEpisode | None:
    """The illness episode covering `day`, if any."""
    episode = illness_in_period(seed, athlete, day_number(day) // ILLNESS_PERIOD_DAYS)
    return episode if episode is not None and episode.start <= day <= episode.last else None


# --------------------------------------------------------------------- overreaching and short sleep (ground truth)

# Two more labelled event kinds for the anomaly benchmark, anchored on the same 8-week periods as the illness
# episodes and never within EVENT_GAP_DAYS of another labelled event (so each alert has one cause to score against).
EVENT_GAP_DAYS = 7
P_OVERREACHING_PER_PERIOD = 0.25
P_SLEEP_RESTRICTION_PER_PERIOD = 0.3


@dataclass(frozen=True)
class OverreachingBlock:
    """Functional overreaching: over 7-14 days resting HR climbs and HRV sinks, reaching their full change after
    RAMP_DAYS and holding it (the picture of Le Meur 2013 and Bellenger 2016: RHR up a few bpm, ln RMSSD down)."""

    start: date
    days: int
    rhr_rise_bpm: float  # at full effect
    hrv_factor: float  # RMSSD multiplied by this at full effect (< 1)

    RAMP_DAYS = 3

    @property
    def last(self) -> date:
        return self.start + timedelta(days=self.days - 1)

    def effect(self, day: date) -> float:
        """Share of the full change on `day` (0 outside the block): (days in + 1) / RAMP_DAYS, capped at 1."""
        if not self.start <= day <= self.last:
            return 0.0
        return min(1.0, ((day - self.start).days + 1) / self.RAMP_DAYS)


@dataclass(frozen=True)
class SleepRestriction:
    """A run of short nights (late to bed, same alarm): each night `cut_h` hours shorter than planned."""

    start: date
    days: int
    cut_h: float

    @property
    def last(self) -> date:
        return self.start + timedelta(days=self.days - 1)


def _clear_of(start: date, last: date, others: list) -> bool:
    gap = timedelta(days=EVENT_GAP_DAYS)
    return all(o is None or last + gap < o.start or start > o.last + gap for o in others)


def _illness_near(seed: int, athlete: Athlete, period: int) -> list:
    return [illness_in_period(seed, athlete, p) for p in (period - 1, period, period + 1)]


def overreaching_in_period(seed: int, athlete: Athlete, period: int) -> OverreachingBlock | None:
    """The overreaching block of 8-week period `period`, or None; inside the period, clear of illness."""
    first = d.EPOCH_DAY + timedelta(days=period * ILLNESS_PERIOD_DAYS)
    rng = rng_for(seed, athlete.index, first, Purpose.OVERREACHING)
    if rng.random() >= P_OVERREACHING_PER_PERIOD:
        return None
    days = int(rng.integers(7, 15))
    offset = int(rng.integers(0, ILLNESS_PERIOD_DAYS - days + 1))
    block = OverreachingBlock(
        first + timedelta(days=offset), days, float(rng.uniform(4, 7)), float(rng.uniform(0.7, 0.8))
    )
    return block if _clear_of(block.start, block.last, _illness_near(seed, athlete, period)) else None


def sleep_restriction_in_period(seed: int, athlete: Athlete, period: int) -> SleepRestriction | None:
    """The run of short nights of 8-week period `period`, or None; inside the period, clear of the other events."""
    first = d.EPOCH_DAY + timedelta(days=period * ILLNESS_PERIOD_DAYS)
    rng = rng_for(seed, athlete.index, first, Purpose.SLEEP_RESTRICTION)
    if rng.random() >= P_SLEEP_RESTRICTION_PER_PERIOD:
        return None
    days = int(rng.integers(3, 8))
    offset = int(rng.integers(0, ILLNESS_PERIOD_DAYS - days + 1))
    short = SleepRestriction(first + timedelta(days=offset), days, float(rng.uniform(1.5, 3.0)))
    others = _illness_near(seed, athlete, period) + [
        overreaching_in_period(seed, athlete, p) for p in (period - 1, period, period + 1)
    ]
    return short if _clear_of(short.start, short.last, others) else None


def overreaching_on(seed: int, athlete: Athlete, day: date) -> OverreachingBlock | None:
    """The overreaching block covering `day`, if any."""
    block = overreaching_in_period(seed, athlete, day_number(day) // ILLNESS_PERIOD_DAYS)
    return block if block is not None and block.start <= day <= block.last else None


def sleep_restriction_on(seed: int, athlete: Athlete, day: date) -> SleepRestriction | None:
    """The sleep restriction covering the night that ends on `day`, if any."""
    short = sleep_restriction_in_period(seed, athlete, day_number(day) // ILLNESS_PERIOD_DAYS)
    return short if short is not None and short.start <= day <= short.last else None
