"""Labelled sensor faults injected into a few recordings (ground truth for marts.activity_data_issues).

A workout recorded by ONE device only (so the merged activity's samples are that recording's, and the fault
reaches openfit.activity_samples unchanged), a ride or a run of at least 15 minutes, gets a fault with
probability P_FAULT. The fault's kind is drawn among those the device can show (cadence lock needs the watch's
optical HR and a run cadence, a power spike a power meter, a GPS jump an outdoor track). Everything is decided
from the plan and a generator of its own (Purpose.FAULT, per athlete, day and workout slot), so:
- `fault_for` gives the same answer to the stream generator and to `truth.fault_truth`, without streams;
- the other random draws, hence every clean recording, are exactly what they were before faults existed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import defaults as d
from .model import Purpose, Recording, Workout, rng_for

P_FAULT = 0.1
MIN_DURATION_S = 900
FAULT_KINDS = ("hr_spike", "hr_dropout", "cadence_lock", "gps_jump", "power_spike", "flat_line")


@dataclass(frozen=True)
class Fault:
    """One injected fault: samples [start, end) of the recording (offsets in seconds from its first sample)."""

    kind: str
    channel: str  # heart_rate, power, position (as analytics.signal_quality names them)
    start: int
    end: int
    size: float  # kind-specific: bpm added (spike), W (power spike), m (GPS jump); 0 otherwise


def recording_length(w: Workout, rec: Recording) -> int:
    """Samples of a recording (as streams.device_view cuts it from the workout's truth)."""
    return max(0, min(w.duration_s, rec.covers[1]) - max(0, rec.covers[0]))


def _kinds(w: Workout, rec: Recording) -> list[tuple[str, str]]:
    device = rec.device.model.device_type
    kinds = [("hr_spike", "heart_rate"), ("hr_dropout", "heart_rate"), ("flat_line", "heart_rate")]
    if device == "watch" and w.sport == "run":
        kinds.append(("cadence_lock", "heart_rate"))
    if device == "bike_computer" and w.sport == "ride":
        kinds += [("power_spike", "power"), ("flat_line", "power")]
    if (
        device in ("watch", "bike_computer")
        and not w.indoor
        and not (device == "watch" and w.sport == "ride")
    ):
        kinds.append(("gps_jump", "position"))
    return kinds


def fault_for(seed: int, w: Workout, rec: Recording) -> Fault | None:
    """The fault injected into this recording, if any (deterministic by seed, athlete, day and slot)."""
    n = recording_length(w, rec)
    if len(w.recordings) != 1 or w.sport not in ("ride", "run") or n < MIN_DURATION_S:
        return None
    rng = rng_for(seed, w.athlete.index, w.day, Purpose.FAULT, w.slot)
    if rng.random() >= P_FAULT:
        return None
    kinds = _kinds(w, rec)
    kind, channel = kinds[int(rng.integers(len(kinds)))]
    length, size = {
        "hr_spike": (int(rng.integers(3, 9)), float(rng.uniform(40, 80))),
        "hr_dropout": (int(rng.integers(20, 121)), 0.0),
        "cadence_lock": (int(rng.integers(90, 241)), 0.0),
        "gps_jump": (int(rng.integers(2, 7)), float(rng.uniform(300, 1500))),
        "power_spike": (int(rng.integers(1, 3)), float(rng.uniform(1500, 2500))),  # the spec caps at 2,500 W
        "flat_line": (int(rng.integers(180, 401)), 0.0),
    }[kind]
    # In the middle 60 % of the recording: away from the warm-up start (HR still rising) and the stop.
    start = int(rng.integers(int(0.2 * n), int(0.8 * n) - length))
    return Fault(kind, channel, start, start + length, size)


def inject(columns: dict[str, np.ndarray | None], fault: Fault) -> None:
    """Apply the fault to a recording's vendor-unit columns in place (see streams.RecordingStream)."""
    sl = slice(fault.start, fault.end)
    hr, power = columns["heart_rate"], columns["power"]
    if fault.kind == "hr_spike" and hr is not None:
        hr[sl] = np.clip(hr[sl] + round(fault.size), 0, 250)  # the spec's range ends at 250 bpm
    elif fault.kind == "hr_dropout" and hr is not None:
        hr[sl] = 0  # the strap lost contact: the device writes 0 bpm (staging reads it as missing)
    elif fault.kind == "cadence_lock" and hr is not None and columns["cadence"] is not None:
        hr[sl] = columns["cadence"][sl]  # the optical sensor counts steps
    elif fault.kind == "gps_jump" and columns["position_lat"] is not None:
        offset = fault.size / 111_320.0 * d.SEMICIRCLES_PER_DEGREE
        columns["position_lat"][sl] = columns["position_lat"][sl] + int(round(offset))
    elif fault.kind == "power_spike" and power is not None:
        power[sl] = round(fault.size)
    elif fault.kind == "flat_line":
        values = hr if fault.channel == "heart_rate" else power
        if values is not None:
            values[sl] = values[fault.start] if values[fault.start] > 0 else 150
