"""Daily physiology: sleep with stages, resting HR and HRV, steps, stress, SpO2, all-day heart rate and weigh-ins.

The ring and the watch observe the same night and the same day and disagree the way real devices do: the ring sees
sleep onset earlier and reports higher HRV and a lower resting HR; the watch scores stages differently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import DayPlan, Device, IllnessEpisode, OverreachingBlock, Profile, Workout
from .streams import smooth_noise, white_noise

EPOCH_S = 30
DEEP, LIGHT, REM, AWAKE = 0, 1, 2, 3


@dataclass
class Physiology:
    """The athlete's true state on a day (drives every device's daily numbers)."""

    resting_hr: float
    hrv_ms: float
    tsb: float  # form: chronic minus acute load (negative = fatigued)


def physiology(
    plan: DayPlan,
    profile: Profile,
    hrv_base: float,
    atl: float,
    ctl: float,
    fit: float,
    rng: np.random.Generator,
    illness: IllnessEpisode | None = None,
    overreaching: OverreachingBlock | None = None,
) -> Physiology:
    tsb = ctl - atl
    jet_lag = 3.0 if plan.travelling else 0.0
    rhr = profile.resting_hr + np.clip(-tsb / 12, -2, 6) + jet_lag + rng.normal(0, 1.2)
    hrv = (
        hrv_base * (1 + 0.08 * fit) * np.exp(np.clip(tsb, -60, 30) / 120) * (0.85 if plan.travelling else 1.0)
    )
    hrv *= np.exp(rng.normal(0, 0.12))
    if illness is not None:  # a labelled illness day (ground truth: truth.illness_truth)
        rhr += illness.rhr_rise_bpm
        hrv *= illness.hrv_factor
    if overreaching is not None:  # a labelled overreaching day (ground truth: truth.event_truth)
        share = overreaching.effect(plan.day)
        rhr += share * overreaching.rhr_rise_bpm
        hrv *= 1.0 - share * (1.0 - overreaching.hrv_factor)
    return Physiology(float(rhr), float(np.clip(hrv, 15, 160)), float(tsb))


def true_hypnogram(n_epochs: int, rng: np.random.Generator) -> np.ndarray:
    """Stages per 30-s epoch: ~90-min cycles, deep sleep early in the night, REM late, brief awakenings."""
    deep_share = (0.32, 0.22, 0.12, 0.05, 0.03, 0.02, 0.02)
    rem_share = (0.10, 0.17, 0.24, 0.30, 0.33, 0.35, 0.35)
    parts = [np.full(int(rng.integers(6, 30)), AWAKE, dtype=np.int8)]  # falling asleep
    used = parts[0].size
    cycle = 0
    while used < n_epochs:
        length = int(rng.normal(180, 20))  # epochs (90 min)
        deep = int(length * deep_share[min(cycle, 6)])
        rem = int(length * rem_share[min(cycle, 6)])
        awake = int(rng.integers(1, 8)) if rng.random() < 0.45 else 0
        light = max(4, length - deep - rem - awake)
        parts += [
            np.full(light // 2, LIGHT, dtype=np.int8),
            np.full(deep, DEEP, dtype=np.int8),
            np.full(light - light // 2, LIGHT, dtype=np.int8),
            np.full(rem, REM, dtype=np.int8),
            np.full(awake, AWAKE, dtype=np.int8),
        ]
        used += light + deep + rem + awake
        cycle += 1
    return np.concatenate(parts)[:n_epochs]


def run_lengths(stages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start index, stage) of each run of equal values."""
    change = np.flatnonzero(np.diff(stages)) + 1
    starts = np.concatenate(([0], change))
    return starts, stages[starts]


@dataclass
class SleepRecord:
    device: Device
    start_epoch: int
    end_epoch: int
    level_start_s: np.ndarray  # epoch seconds
    level_end_s: np.ndarray
    level: np.ndarray  # 0 deep, 1 light, 2 rem, 3 awake
    seconds: dict[int, int]  # per stage
    average_hr: float
    lowest_hr: float
    hrv_ms: float
    respiration: float
    score: int


def _relabel_blocks(stages: np.ndarray, block: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Device staging error: whole blocks of epochs scored as another sleep stage (awake is never relabelled)."""
    n_blocks = -(-stages.size // block)
    chosen = rng.random(n_blocks) < p
    relabel = rng.choice(np.array([DEEP, LIGHT, REM], dtype=np.int8), size=n_blocks, p=[0.25, 0.5, 0.25])
    per_epoch = np.repeat(np.where(chosen, relabel, -1), block)[: stages.size]
    keep_awake = stages[np.arange(0, stages.size, block)] == AWAKE
    per_epoch[np.repeat(keep_awake, block)[: stages.size]] = -1
    return np.where(per_epoch >= 0, per_epoch, stages).astype(np.int8)


def sleep_records(plan: DayPlan, phys: Physiology, rng: np.random.Generator) -> list[SleepRecord]:
    onset, wake = plan.sleep.onset_epoch, plan.sleep.wake_epoch
    n = (wake - onset) // EPOCH_S
    truth = true_hypnogram(n, rng)
    respiration = float(rng.uniform(12.5, 16.0))
    out: list[SleepRecord] = []
    for device_type in ("ring", "watch"):
        device = plan.athlete.device(device_type)
        if device is None:
            continue
        if device_type == "ring":  # 5-minute hypnogram, sees onset a little early
            lead = int(rng.integers(0, 16))  # epochs
            stages = np.concatenate((np.full(lead, AWAKE, dtype=np.int8), truth))
            stages = _relabel_blocks(stages, 10, 0.12, rng)
            block = 10
            trimmed = stages[: stages.size // block * block].reshape(-1, block)
            # majority-free simplification: a 5-minute block takes the stage of its middle epoch
            stages = np.repeat(trimmed[:, block // 2], block)
            start = onset - lead * EPOCH_S
            hrv = phys.hrv_ms * rng.uniform(1.12, 1.3)
            avg_hr, low_hr = phys.resting_hr + rng.uniform(2, 4), phys.resting_hr - rng.uniform(1, 3)
        else:  # the watch detects onset 5-25 minutes later and wakes a few minutes earlier
            late = int(rng.integers(10, 50))
            early = int(rng.integers(0, 10))
            stages = _relabel_blocks(truth[late : truth.size - early], 6, 0.18, rng)
            start = onset + late * EPOCH_S
            hrv = phys.hrv_ms
            avg_hr, low_hr = phys.resting_hr + rng.uniform(3, 6), phys.resting_hr + rng.uniform(-1, 1)
        end = start + stages.size * EPOCH_S
        idx, level = run_lengths(stages)
        level_start = start + idx * EPOCH_S
        level_end = np.append(level_start[1:], end)
        seconds = {s: int(np.count_nonzero(stages == s)) * EPOCH_S for s in (DEEP, LIGHT, REM, AWAKE)}
        asleep = seconds[DEEP] + seconds[LIGHT] + seconds[REM]
        efficiency = asleep / max(1, stages.size * EPOCH_S)
        # duration, efficiency and deep-sleep share, each saturating at a healthy level (average ~75-80)
        score = 100 * (
            0.45 * np.clip((asleep / 3600 - 4) / 4.5, 0, 1)
            + 0.3 * np.clip((efficiency - 0.75) / 0.22, 0, 1)
            + 0.25 * min(seconds[DEEP] / max(asleep, 1) / 0.22, 1)
        )

        out.append(
            SleepRecord(
                device=device,
                start_epoch=int(start),
                end_epoch=int(end),
                level_start_s=level_start.astype(np.int64),
                level_end_s=level_end.astype(np.int64),
                level=level.astype(np.int8),
                seconds=seconds,
                average_hr=float(avg_hr),
                lowest_hr=float(low_hr),
                hrv_ms=float(hrv),
                respiration=respiration + float(rng.normal(0, 0.3)),
                score=int(np.clip(round(score + rng.normal(0, 3)), 1, 100)),
            )
        )
    return out


@dataclass
class IntradaySeries:
    device: Device
    metric: str
    timestamp: np.ndarray  # int64 epoch s
    value: np.ndarray  # float64


def minute_heart_rate(
    day_start: int,
    day_end: int,
    nights: list[tuple[int, int]],
    phys: Physiology,
    workout_hr: list[tuple[Workout, np.ndarray]],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """True heart rate per minute over the day [day_start, day_end): sleep low, awake moderate, workouts high."""
    minutes = np.arange(day_start, day_end, 60, dtype=np.int64)
    hr = phys.resting_hr + 22 + smooth_walk(rng, minutes.size, 8.0)
    for onset, wake in nights:  # the night ending this morning and the one starting tonight
        asleep = (minutes >= onset) & (minutes < wake)
        hr[asleep] = phys.resting_hr + 3 + white_noise(rng, int(asleep.sum()), 1.5)
    for w, hr_true in workout_hr:
        idx = (w.start_epoch - day_start) // 60
        per_min = (
            hr_true[: hr_true.size // 60 * 60].reshape(-1, 60).mean(axis=1) if hr_true.size >= 60 else hr_true
        )
        lo, hi = max(0, idx), min(minutes.size, idx + per_min.size)
        if hi > lo:
            hr[lo:hi] = per_min[lo - idx : hi - idx]
    return minutes, np.clip(hr, 30, 220)


def smooth_walk(rng: np.random.Generator, n: int, sd: float) -> np.ndarray:
    """Slow wandering around 0 (daily life: walking, sitting, stairs)."""
    return np.abs(smooth_noise(rng, n, 20, sd)) * 1.2 - sd * 0.4


def intraday_series(
    plan: DayPlan,
    next_plan: DayPlan,
    phys: Physiology,
    day_start: int,
    day_end: int,
    sleeps: list[SleepRecord],
    workout_hr: list[tuple[Workout, np.ndarray]],
    rng: np.random.Generator,
) -> list[IntradaySeries]:
    nights = [
        (plan.sleep.onset_epoch, plan.sleep.wake_epoch),
        (next_plan.sleep.onset_epoch, next_plan.sleep.wake_epoch),
    ]
    minutes, hr = minute_heart_rate(day_start, day_end, nights, phys, workout_hr, rng)
    out: list[IntradaySeries] = []
    athlete = plan.athlete
    watch, ring = athlete.device("watch"), athlete.device("ring")
    in_workout = np.zeros(minutes.size, dtype=bool)
    for w, _ in workout_hr:
        in_workout |= (minutes >= w.start_epoch) & (minutes < w.end_epoch)
    if watch is not None:  # all-day HR every 60 s
        offset = int(rng.integers(0, 60))
        out.append(
            IntradaySeries(
                watch, "heart_rate", minutes + offset, np.rint(hr + white_noise(rng, hr.size, 2.0))
            )
        )
        # stress every 3 minutes while awake and not training (Garmin-style 0-100)
        awake = np.ones(minutes.size, dtype=bool)
        for onset, wake in nights:
            awake &= ~((minutes >= onset) & (minutes < wake))
        pick = np.flatnonzero(awake & ~in_workout)[::3]
        base = 28 + np.clip(-phys.tsb, -10, 30) * 0.5 + (10 if plan.travelling else 0)
        stress = np.clip(
            base + (hr[pick] - phys.resting_hr - 22) * 1.2 + smooth_walk(rng, pick.size, 10), 1, 99
        )
        out.append(IntradaySeries(watch, "stress", minutes[pick] + 30, np.rint(stress)))
    if ring is not None:  # every 120 s, a little lower than the watch, and SpO2 each minute of the night
        pick = np.arange(0, minutes.size, 2)
        out.append(
            IntradaySeries(
                ring, "heart_rate", minutes[pick], np.rint(hr[pick] - 1 + white_noise(rng, pick.size, 1.5))
            )
        )
        for sleep in sleeps:
            if sleep.device is ring:
                ts = np.arange(sleep.start_epoch, sleep.end_epoch, 60, dtype=np.int64)
                base = 96.5 - (2.0 if plan.place.altitude_m > 1000 else 0.0)
                spo2 = np.clip(np.rint(base + smooth_noise_np(rng, ts.size, 1.0)), 88, 100)
                out.append(IntradaySeries(ring, "spo2", ts, spo2.astype(np.float64)))
    return out


def smooth_noise_np(rng: np.random.Generator, n: int, sd: float) -> np.ndarray:
    return smooth_noise(rng, n, 10, sd) if n else np.zeros(0)
