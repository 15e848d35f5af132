"""1 Hz workout streams, vectorised with numpy: one "true" signal per workout, one noisy view per recording device.

The truth of a workout (effort, power, speed, altitude, position, heart rate) is generated once; each recording then
samples the part of it that the device covered, in the device's clock, with the device's sensors and errors:
the bike computer has power, wheel-speed distance and chest-strap HR; the watch has optical HR and GPS distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from . import defaults as d
from .model import Profile, Recording, Workout, season_fitness

G = 9.81
RHO = 1.2
CDA = 0.32
CRR = 0.005
BIKE_MASS = 9.0
METERS_PER_DEG_LAT = 111_320.0


def lowpass(x: np.ndarray, tau_s: float, initial: float | None = None) -> np.ndarray:
    """First-order response y' = (x - y) / tau at 1 Hz (the heart-rate lag model; also used to smooth noise)."""
    a = np.exp(-1.0 / tau_s)
    y0 = x[0] if initial is None else initial
    out, _ = lfilter([1 - a], [1, -a], x, zi=[a * y0])
    return out


_BANK_SIZE = 1 << 19
_BANKS: dict[float, np.ndarray] = {}


def _bank(tau_s: float) -> np.ndarray:
    """A fixed bank of unit-variance red noise for one correlation time (white noise for tau 0), built once.

    Every noise draw is a random window into a bank: the same statistics as filtering fresh normals, at the cost of
    a slice. Windows are picked by the caller's seeded generator, so the data stay deterministic per seed.
    """
    bank = _BANKS.get(tau_s)
    if bank is None:
        raw = np.random.default_rng([20261122, int(tau_s * 1000)]).standard_normal(_BANK_SIZE)
        if tau_s > 0:
            raw = lowpass(raw, tau_s, initial=0.0)
            raw /= raw.std()
        bank = _BANKS[tau_s] = raw.astype(np.float32)
    return bank


def smooth_noise(rng: np.random.Generator, n: int, tau_s: float, sd: float) -> np.ndarray:
    """Red noise with standard deviation ``sd`` and correlation time ``tau_s`` (seconds at 1 Hz)."""
    bank = _bank(float(tau_s))
    if n >= _BANK_SIZE:
        return np.resize(bank, n) * np.float32(sd)
    start = int(rng.integers(0, _BANK_SIZE - n))
    return bank[start : start + n] * np.float32(sd)


def white_noise(rng: np.random.Generator, n: int, sd: float) -> np.ndarray:
    return smooth_noise(rng, n, 0.0, sd)


@dataclass
class Truth:
    """1 Hz true signals of a workout, index = seconds since the true start."""

    n: int
    hr: np.ndarray  # bpm (float)
    power: np.ndarray | None  # W
    speed: np.ndarray | None  # m/s
    cadence: np.ndarray | None  # rpm (bike) / steps per min (run) / strokes per min (swim)
    altitude: np.ndarray | None  # m
    x: np.ndarray | None  # east, m from home
    y: np.ndarray | None  # north, m from home
    temperature: float


def _intensity(w: Workout) -> np.ndarray:
    return np.repeat(
        np.array([s.intensity for s in w.segments], dtype=np.float64),
        np.array([s.duration_s for s in w.segments], dtype=np.int64),
    )


GRID_M = 20.0  # route geometry is computed on a 20 m grid and interpolated


def on_grid(field: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Value of a field sampled every GRID_M metres, at distances ``s`` (clamped at the ends)."""
    return np.interp(s * (1 / GRID_M), np.arange(field.size, dtype=np.float64), field)


def elevation_grid(
    rng: np.random.Generator, amplitude: float, max_m: float, max_grade: float = 0.035
) -> tuple[np.ndarray, np.ndarray]:
    """Random smooth elevation profile e(s) = sum of 4 sines of distance, and its grade, on the grid.

    Each sine's grade (amplitude x wavenumber) is capped, so roads stay within realistic gradients.
    """
    grid = np.arange(0.0, max(max_m, 1000.0) + 2 * GRID_M, GRID_M)
    k = 2 * np.pi / rng.uniform(1500, 12000, size=4)
    amps = np.minimum(amplitude * rng.uniform(0.3, 1.0, size=4) / 2, max_grade / k)
    arg = np.outer(grid, k) + rng.uniform(0, 2 * np.pi, size=4)
    return np.sin(arg) @ amps, np.cos(arg) @ (amps * k)


def loop_grid(rng: np.random.Generator, length: float) -> tuple[np.ndarray, np.ndarray]:
    """A smooth closed loop of ``length`` metres that starts and ends at home: (x east, y north) on the grid."""
    length = max(length, 400.0)
    grid = np.arange(0.0, length + 2 * GRID_M, GRID_M)
    radius = length / (2 * np.pi * 1.05)
    theta = 2 * np.pi * grid / length
    p1, p2, heading = rng.uniform(0, 2 * np.pi, 3)
    r = radius * (1 + 0.18 * np.sin(3 * theta + p1) + 0.08 * np.sin(5 * theta + p2))
    r0 = radius * (1 + 0.18 * np.sin(p1) + 0.08 * np.sin(p2))
    x = r * np.cos(theta + heading) - r0 * np.cos(heading)
    y = r * np.sin(theta + heading) - r0 * np.sin(heading)
    return x, y


def _track(rng: np.random.Generator, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = loop_grid(rng, float(dist[-1]) if dist.size else 0.0)
    return on_grid(x, dist), on_grid(y, dist)


def _bike_speed(power: np.ndarray, grade: np.ndarray, mass: float) -> np.ndarray:
    """Steady speed for a power on a grade (aero + rolling + climbing), solved by Newton's method, vectorised."""
    a = 0.5 * RHO * CDA
    b = mass * G * (CRR + grade)
    v = np.full(power.shape, 8.0)
    for _ in range(8):
        f = a * v**3 + b * v - power * 0.97
        v = v - f / (3 * a * v**2 + b)
        v = np.clip(v, 0.5, 22.0)
    return v


def _stops(rng: np.random.Generator, n: int, every_s: float, lo: int, hi: int) -> np.ndarray:
    """Boolean mask of short stops (traffic lights, gates) in an outdoor session."""
    mask = np.zeros(n, dtype=bool)
    count = rng.poisson(n / every_s)
    for start in rng.integers(60, max(61, n - 60), size=count):
        mask[start : start + int(rng.integers(lo, hi))] = True
    return mask


def workout_truth(w: Workout, profile: Profile, rng: np.random.Generator) -> Truth:
    athlete = w.athlete
    effort = _intensity(w)
    n = effort.size
    t = np.arange(n, dtype=np.float64)
    fit = season_fitness(athlete, w.day)
    season_temp = (4 + 18 * fit) if not w.place.southern else (22 - 10 * fit)
    temperature = 21.0 if w.indoor else float(season_temp + rng.normal(0, 3))
    power = speed = cadence = altitude = xs = ys = None

    if w.sport == "ride":
        variability = 0.04 if w.indoor else 0.14
        power = profile.ftp_w * effort * (1 + smooth_noise(rng, n, 8.0, variability))
        mass = athlete.weight_kg + BIKE_MASS
        v = _bike_speed(power, np.zeros(n), mass)  # indoors: the trainer's virtual speed
        if not w.indoor:
            elev_grid, grade_grid = elevation_grid(rng, w.place.hilliness_m, float(v.sum()) * 1.3)
            coast_factor = rng.uniform(0, 0.25)
            for _ in range(2):  # speed depends on grade, grade on where you are: iterate
                grade = on_grid(grade_grid, np.cumsum(v))
                power = np.where(grade < -0.025, power * coast_factor, power)  # freewheeling downhill
                v = lowpass(_bike_speed(power, grade, mass), 6.0)
            stopped = _stops(rng, n, 1500, 10, 45)
            v = np.where(stopped, 0.0, v)
            power = np.where(stopped, 0.0, power)
            dist = np.cumsum(v)
            elev = on_grid(elev_grid, dist)
            altitude = w.place.altitude_m + elev - elev.min()  # home is the low point of the route
            xs, ys = _track(rng, dist)
        speed = v
        power = np.clip(power, 0, 2000)
        cadence = np.where(power > 5, 88 + 6 * (effort - 0.7) + smooth_noise(rng, n, 15, 3), 0.0)
        hr_effort = np.clip(power / profile.ftp_w, 0, 1.6)
    elif w.sport == "run":
        amplitude = (w.place.hilliness_m + 150) if w.trail else w.place.hilliness_m * 0.6
        v = profile.threshold_speed * effort * (1 + smooth_noise(rng, n, 20, 0.03))
        if w.trail:
            v *= 0.85
        elev_grid, grade_grid = elevation_grid(
            rng, amplitude, float(v.sum()) * 1.1, max_grade=0.06 if w.trail else 0.025
        )
        grade = on_grid(grade_grid, np.cumsum(v))
        v = v / (1 + 9 * np.clip(grade, 0, None) + 2 * np.clip(-grade, 0, 0.1))  # slower uphill
        stopped = _stops(rng, n, 2400, 5, 25)
        speed = np.where(stopped, 0.0, lowpass(v, 3.0))
        dist = np.cumsum(speed)
        elev = on_grid(elev_grid, dist)
        grade = on_grid(grade_grid, dist)
        altitude = w.place.altitude_m + elev - elev.min()  # home is the low point of the route
        # running cadence in steps per minute
        cadence = np.where(
            stopped, 0.0, 156 + 14 * speed / profile.threshold_speed + smooth_noise(rng, n, 20, 3.0)
        )
        if not w.indoor:
            xs, ys = _track(rng, dist)
        # effort for the heart includes climbing
        hr_effort = np.where(stopped, 0.3, effort * (1 + 2.5 * np.clip(grade, 0, 0.2)))
    elif w.sport == "swim":
        swimming = effort > 0
        speed = np.where(swimming, athlete.css_mps * effort * (1 + smooth_noise(rng, n, 30, 0.03)), 0.0)
        cadence = np.where(swimming, 30 + 6 * (effort - 0.8) + smooth_noise(rng, n, 30, 1.0), 0.0)
        hr_effort = np.where(swimming, effort * 0.95, 0.35)
        if not w.indoor:
            xs, ys = _track(rng, np.cumsum(speed))
            altitude = np.full(n, w.place.altitude_m)
    else:  # strength: heart rate only
        hr_effort = effort

    # Heart rate: steady-state target from effort, cardiac drift, first-order lag (tau ~30 s), beat noise.
    hr_floor = profile.resting_hr + 25
    target = np.where(
        hr_effort <= 1.0,
        hr_floor + (profile.lthr - hr_floor) * hr_effort,
        profile.lthr + (profile.max_hr - profile.lthr) * np.clip((hr_effort - 1.0) / 0.25, 0, 1),
    )
    drift = 6.0 * (t / 3600) * np.clip(hr_effort, 0, 1.2) * (1.3 if temperature > 24 else 1.0)
    hr = lowpass(target + drift, athlete.hr_tau_s, initial=profile.resting_hr + 15)
    hr = np.clip(hr + smooth_noise(rng, n, 5, 1.0), profile.resting_hr + 5, profile.max_hr)
    return Truth(n, hr, power, speed, cadence, altitude, xs, ys, temperature)


# ---------------------------------------------------------------------------------------------- device views

STREAM_COLUMNS = (
    "heart_rate",
    "power",
    "cadence",
    "speed",
    "altitude",
    "position_lat",
    "position_long",
    "distance",
    "temperature",
)


@dataclass
class RecordingStream:
    """One recording's 1 Hz columns in vendor units; a None column is absent (null) for this device."""

    recording: Recording
    timestamp: np.ndarray  # int64 epoch s (device clock)
    columns: dict[str, np.ndarray | None]

    @property
    def n(self) -> int:
        return int(self.timestamp.size)


def device_view(w: Workout, truth: Truth, rec: Recording, rng: np.random.Generator) -> RecordingStream:
    lo, hi = max(0, rec.covers[0]), min(truth.n, rec.covers[1])
    n = hi - lo
    kind = rec.device.model.device_type
    sl = slice(lo, hi)
    cols: dict[str, np.ndarray | None] = dict.fromkeys(STREAM_COLUMNS)

    if kind in ("bike_computer", "chest_strap"):
        hr = truth.hr[sl] + white_noise(rng, n, 0.6)  # chest strap: accurate
    else:  # optical wrist HR: extra lag, a bias of a few bpm, more noise
        bias = rng.uniform(-4, 4)
        hr = lowpass(truth.hr[sl], 6.0) + bias + smooth_noise(rng, n, 4, 2.0 if w.sport != "swim" else 5.0)
    cols["heart_rate"] = np.rint(hr).astype(np.int16)

    if kind != "chest_strap":
        temp = truth.temperature + (7.0 if kind == "watch" else 0.0)  # wrist-worn sensors read warm
        cols["temperature"] = np.full(n, int(round(temp)), dtype=np.int8)

    speed = truth.speed[sl] if truth.speed is not None else None
    if kind == "bike_computer" and speed is not None:
        wheel_error = 1 + rng.uniform(-0.012, 0.012)
        speed_dev = speed * wheel_error
        cols["speed"] = np.rint(speed_dev * 1000).astype(np.int32)
        cols["distance"] = np.rint(np.cumsum(speed_dev) * 100).astype(np.int64)
        cols["power"] = np.rint(truth.power[sl]).astype(np.int16) if truth.power is not None else None
        cols["cadence"] = np.rint(truth.cadence[sl]).astype(np.int16) if truth.cadence is not None else None
    elif kind == "watch" and speed is not None and not (w.sport == "ride" and w.indoor):
        gps_error = 1 + rng.uniform(-0.02, 0.01) if truth.x is not None else 1 + rng.uniform(-0.05, 0.05)
        speed_dev = np.clip(speed * gps_error + smooth_noise(rng, n, 6, 0.08) * (speed > 0), 0, None)
        cols["speed"] = np.rint(speed_dev * 1000).astype(np.int32)
        cols["distance"] = np.rint(np.cumsum(speed_dev) * 100).astype(np.int64)
        if w.sport in ("run", "swim") and truth.cadence is not None:
            cols["cadence"] = np.rint(truth.cadence[sl]).astype(np.int16)

    if kind != "chest_strap" and truth.altitude is not None:
        offset = rng.normal(0, 4)
        cols["altitude"] = np.rint(
            (truth.altitude[sl] + offset + smooth_noise(rng, n, 60, 0.8)) * 100
        ).astype(np.int32)
    if kind != "chest_strap" and truth.x is not None:
        place = w.place
        err = 2.0 if kind == "bike_computer" else 3.5
        xs = truth.x[sl] + smooth_noise(rng, n, 30, err)
        ys = truth.y[sl] + smooth_noise(rng, n, 30, err)
        lat = place.lat + ys / METERS_PER_DEG_LAT
        lon = place.lon + xs / (METERS_PER_DEG_LAT * np.cos(np.radians(place.lat)))
        cols["position_lat"] = np.rint(lat * d.SEMICIRCLES_PER_DEGREE).astype(np.int32)
        cols["position_long"] = np.rint(lon * d.SEMICIRCLES_PER_DEGREE).astype(np.int32)

    start = rec.start_epoch(w)
    timestamp = np.arange(start, start + n, dtype=np.int64)
    return RecordingStream(rec, timestamp, cols)
