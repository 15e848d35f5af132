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


def smooth_noise(rng: np.random.Generator, n: int, tau_s: float, sd: float) -> np.ndarray:
    """Red noise with standard deviation ~sd and correlation time tau_s."""
    raw = rng.standard_normal(n)
    gain = np.sqrt((1 + np.exp(-1 / tau_s)) / (1 - np.exp(-1 / tau_s)))
    return lowpass(raw, tau_s, initial=0.0) * gain * sd


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


def _elevation(rng: np.random.Generator, amplitude: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random smooth elevation profile e(s) = sum a_i sin(2 pi s / L_i + p_i) over distance s (m)."""
    wavelengths = rng.uniform(800, 9000, size=4)
    amps = amplitude * rng.uniform(0.3, 1.0, size=4) / 2
    phases = rng.uniform(0, 2 * np.pi, size=4)
    return wavelengths, amps, phases


def _elev_at(
    profile: tuple[np.ndarray, np.ndarray, np.ndarray], s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    wavelengths, amps, phases = profile
    k = 2 * np.pi / wavelengths
    arg = np.outer(s, k) + phases
    elev = np.sin(arg) @ amps
    grade = np.cos(arg) @ (amps * k)
    return elev, grade


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


def _loop_xy(rng: np.random.Generator, dist: np.ndarray, length: float) -> tuple[np.ndarray, np.ndarray]:
    """A smooth closed loop starting at home, parametrised by distance travelled."""
    radius = max(length, 400.0) / (2 * np.pi * 1.05)
    theta = 2 * np.pi * dist / max(length, 400.0)
    p1, p2 = rng.uniform(0, 2 * np.pi, 2)
    r = radius * (1 + 0.18 * np.sin(3 * theta + p1) + 0.08 * np.sin(5 * theta + p2))
    heading = rng.uniform(0, 2 * np.pi)
    # start at home: shift the loop so that theta = 0 is the origin
    r0 = radius * (1 + 0.18 * np.sin(p1) + 0.08 * np.sin(p2))
    xs = r * np.cos(theta + heading) - r0 * np.cos(heading)
    ys = r * np.sin(theta + heading) - r0 * np.sin(heading)
    return xs, ys


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
        if not w.indoor:
            elev_profile = _elevation(rng, w.place.hilliness_m)
            mass = athlete.weight_kg + BIKE_MASS
            v = _bike_speed(power, np.zeros(n), mass)
            for _ in range(2):  # speed depends on grade, grade on where you are: iterate
                _, grade = _elev_at(elev_profile, np.cumsum(v))
                coast = grade < -0.025
                power = np.where(coast, power * rng.uniform(0, 0.25), power)
                v = lowpass(_bike_speed(power, grade, mass), 6.0)
            stopped = _stops(rng, n, 1500, 10, 45)
            v = np.where(stopped, 0.0, v)
            power = np.where(stopped, 0.0, power)
            speed = v
            dist = np.cumsum(speed)
            elev, _ = _elev_at(elev_profile, dist)
            altitude = w.place.altitude_m + elev - elev.min()  # home is the low point of the route
            xs, ys = _loop_xy(rng, dist, float(dist[-1]))
        else:
            speed = _bike_speed(
                power, np.zeros(n), athlete.weight_kg + BIKE_MASS
            )  # the trainer's virtual speed
        power = np.clip(power, 0, 2000)
        cadence = np.where(power > 5, 88 + 6 * (effort - 0.7) + smooth_noise(rng, n, 15, 3), 0.0)
        hr_effort = np.clip(power / profile.ftp_w, 0, 1.6)
    elif w.sport == "run":
        amplitude = (w.place.hilliness_m + 150) if w.trail else w.place.hilliness_m * 0.6
        elev_profile = _elevation(rng, amplitude)
        v = profile.threshold_speed * effort * (1 + smooth_noise(rng, n, 20, 0.03))
        if w.trail:
            v *= 0.85
        _, grade = _elev_at(elev_profile, np.cumsum(v))
        v = v / (1 + 9 * np.clip(grade, 0, None) + 2 * np.clip(-grade, 0, 0.1))
        stopped = _stops(rng, n, 2400, 5, 25)
        speed = np.where(stopped, 0.0, lowpass(v, 3.0))
        dist = np.cumsum(speed)
        elev, grade = _elev_at(elev_profile, dist)
        altitude = w.place.altitude_m + elev - elev.min()  # home is the low point of the route
        # running cadence in steps per minute
        cadence = np.where(
            stopped, 0.0, 156 + 14 * speed / profile.threshold_speed + smooth_noise(rng, n, 20, 3.0)
        )
        if not w.indoor:
            xs, ys = _loop_xy(rng, dist, float(dist[-1]))
        # effort for the heart includes climbing
        hr_effort = np.where(stopped, 0.3, effort * (1 + 2.5 * np.clip(grade, 0, 0.2)))
    elif w.sport == "swim":
        swimming = effort > 0
        speed = np.where(swimming, athlete.css_mps * effort * (1 + smooth_noise(rng, n, 30, 0.03)), 0.0)
        cadence = np.where(swimming, 30 + 6 * (effort - 0.8) + smooth_noise(rng, n, 30, 1.0), 0.0)
        hr_effort = np.where(swimming, effort * 0.95, 0.35)
        if not w.indoor:
            xs, ys = _loop_xy(rng, np.cumsum(speed), float(np.sum(speed)))
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
        hr = truth.hr[sl] + rng.normal(0, 0.6, n)  # chest strap: accurate
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
