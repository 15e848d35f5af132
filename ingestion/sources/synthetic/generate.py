"""Turn the cohort's truth into vendor-shaped raw records, one chunk (athlete x block of days) at a time.

A chunk holds every table's rows for its days: lists of JSON-ready dicts for the small tables, pyarrow Tables for the
high-volume series (streams, sleep levels, intraday). Memory is bounded by one chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa

from . import defaults as d
from .daily import IntradaySeries, SleepRecord, intraday_series, physiology, sleep_records
from .faults import fault_for, inject
from .model import (
    Athlete,
    Profile,
    Purpose,
    Recording,
    Workout,
    day_number,
    day_start_epoch,
    illness_on,
    make_athlete,
    overreaching_on,
    plan_day,
    profile_on,
    profiles_for_window,
    rng_for,
    season_fitness,
    utc_offset_s,
)
from .streams import STREAM_COLUMNS, RecordingStream, device_view, lowpass, workout_truth

TABLES = (
    "athletes",
    "athlete_profiles",
    "devices",
    "activities",
    "activity_streams",
    "laps",
    "sleep",
    "sleep_levels",
    "daily_summaries",
    "weigh_ins",
    "intraday",
)

STREAM_SCHEMA = pa.schema(
    [
        pa.field("activity_id", pa.string(), nullable=False),
        pa.field("timestamp", pa.int64(), nullable=False),
        ("heart_rate", pa.int16()),
        ("power", pa.int16()),
        ("cadence", pa.int16()),
        ("speed", pa.int32()),
        ("altitude", pa.int32()),
        ("position_lat", pa.int32()),
        ("position_long", pa.int32()),
        ("distance", pa.int64()),
        ("temperature", pa.int8()),
        ("_source", pa.string()),
        ("_fetched_at", pa.timestamp("us", tz="UTC")),
    ]
)
SLEEP_LEVEL_SCHEMA = pa.schema(
    [
        pa.field("sleep_id", pa.string(), nullable=False),
        pa.field("start_gmt", pa.int64(), nullable=False),
        pa.field("end_gmt", pa.int64(), nullable=False),
        pa.field("activity_level", pa.int8(), nullable=False),
        ("_source", pa.string()),
        ("_fetched_at", pa.timestamp("us", tz="UTC")),
    ]
)
INTRADAY_SCHEMA = pa.schema(
    [
        pa.field("athlete_id", pa.string(), nullable=False),
        pa.field("device_id", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("timestamp", pa.int64(), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        ("_source", pa.string()),
        ("_fetched_at", pa.timestamp("us", tz="UTC")),
    ]
)


def fetched_at(epoch_s: int) -> datetime:
    return datetime.fromtimestamp(epoch_s, tz=UTC)


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


# ---------------------------------------------------------------------------------------------- static tables


def athlete_rows(athlete: Athlete, fetched: datetime) -> dict[str, Any]:
    return {
        "athlete_id": athlete.athlete_id,
        "_source": d.SOURCE_NAME,
        "_fetched_at": fetched,
        "payload": {
            "athleteId": athlete.athlete_id,
            "displayName": athlete.display_name,
            "sex": athlete.sex,
            "birthYear": athlete.birth_year,
            "homeTimeZone": athlete.home.zone,
            "weightKg": athlete.weight_kg,
        },
    }


def profile_row(profile: Profile, fetched: datetime) -> dict[str, Any]:
    return {
        "athlete_id": profile.athlete_id,
        "effective_from": profile.effective_from.isoformat(),
        "_source": d.SOURCE_NAME,
        "_fetched_at": fetched,
        "payload": {
            "athleteId": profile.athlete_id,
            "effectiveFrom": profile.effective_from.isoformat(),
            "maxHeartRate": profile.max_hr,
            "restingHeartRate": profile.resting_hr,
            "lactateThresholdHeartRate": profile.lthr,
            "functionalThresholdPower": profile.ftp_w,
            "lactateThresholdSpeed": profile.threshold_speed,
            "source": profile.source,
        },
    }


def device_rows(athlete: Athlete, fetched: datetime) -> list[dict[str, Any]]:
    return [
        {
            "device_id": dev.device_id,
            "athlete_id": athlete.athlete_id,
            "_source": d.SOURCE_NAME,
            "_fetched_at": fetched,
            "payload": {
                "deviceId": dev.device_id,
                "athleteId": athlete.athlete_id,
                "manufacturer": dev.model.manufacturer,
                "productName": dev.model.product_name,
                "deviceType": dev.model.device_type,
                "serialNumber": dev.serial_number,
            },
        }
        for dev in athlete.devices
    ]


def static_tables(seed: int, athlete_indices: list[int], first: date, last: date) -> dict[str, list[dict]]:
    fetched = fetched_at(day_start_epoch(make_athlete(seed, 0), last + timedelta(days=1)))
    out: dict[str, list[dict]] = {"athletes": [], "athlete_profiles": [], "devices": []}
    for k in athlete_indices:
        athlete = make_athlete(seed, k)
        out["athletes"].append(athlete_rows(athlete, fetched))
        out["devices"].extend(device_rows(athlete, fetched))
        for profile in profiles_for_window(seed, athlete, first, last):
            out["athlete_profiles"].append(profile_row(profile, fetched))
    return out


# ---------------------------------------------------------------------------------------------- activities


def _keytel_kcal(avg_hr: float, seconds: int, athlete: Athlete, day: date) -> float:
    """Energy from heart rate (Keytel et al. 2005)."""
    age = day.year - athlete.birth_year
    w = athlete.weight_kg
    if athlete.sex == "M":
        per_min = (-55.0969 + 0.6309 * avg_hr + 0.1988 * w + 0.2017 * age) / 4.184
    else:
        per_min = (-20.4022 + 0.4472 * avg_hr - 0.1263 * w + 0.074 * age) / 4.184
    return max(per_min, 1.5) * seconds / 60


def _laps(w: Workout, rec: Recording, stream: RecordingStream) -> list[tuple[int, int]]:
    """Lap index ranges [a, b): auto-lap by distance outdoors, one lap per structured segment otherwise."""
    n = stream.n
    dist = stream.columns["distance"]
    structured = w.kind in (
        "intervals",
        "vo2",
        "sweetspot",
        "threshold",
        "tempo",
        "test",
        "sets",
    ) or w.sport in (
        "swim",
        "strength",
    )
    if dist is not None and not structured:
        lap_cm = (1000 if w.sport == "run" else 5000) * 100
        lap_no = dist // lap_cm
        bounds = np.flatnonzero(np.diff(lap_no)) + 1
    else:
        seg_starts = np.cumsum([0] + [s.duration_s for s in w.segments])[1:-1] - rec.covers[0]
        bounds = seg_starts[(seg_starts > 0) & (seg_starts < n)]
        if w.sport == "strength":  # merge work/rest pairs into sets
            bounds = bounds[1::2]
    starts = np.concatenate(([0], bounds)).astype(np.int64)
    ends = np.append(starts[1:], n)
    keep = ends - starts >= 10
    return list(zip(starts[keep].tolist(), ends[keep].tolist(), strict=True)) or [(0, n)]


def _mean(arr: np.ndarray | None, sl: slice, moving: np.ndarray | None = None) -> float | None:
    if arr is None:
        return None
    seg = arr[sl]
    if moving is not None:
        seg = seg[moving[sl]]
    return float(seg.mean()) if seg.size else None


def activity_records(
    w: Workout, rec: Recording, stream: RecordingStream, fetched: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    cols = stream.columns
    n = stream.n
    hr = cols["heart_rate"]
    speed = cols["speed"]
    power = cols["power"]
    cadence = cols["cadence"]
    altitude = cols["altitude"]
    dist = cols["distance"]
    moving = speed > 300 if speed is not None and w.sport != "strength" else np.ones(n, dtype=bool)
    moving_s = int(moving.sum())
    distance_m = float(dist[-1]) / 100 if dist is not None and n else None
    if altitude is not None and n > 1:
        smooth = lowpass(altitude.astype(np.float64) / 100, 10.0)
        gain = float(np.clip(np.diff(smooth), 0, None).sum())
    else:
        gain = None
    all_ = slice(0, n)
    avg_hr = _mean(hr, all_)
    avg_power = _mean(power, all_)
    if avg_power is not None:
        kcal = float(power.sum()) / 1000 * 1.0  # ~1 kcal per mechanical kJ (efficiency ~24%)
    else:
        kcal = _keytel_kcal(avg_hr or 100.0, n, w.athlete, w.day)
    avg_cadence = _mean(cadence, all_, cadence > 0 if cadence is not None else None)
    zone = w.place.zone
    start = int(stream.timestamp[0]) if n else rec.start_epoch(w)
    activity = {
        "activity_id": rec.activity_id,
        "athlete_id": w.athlete.athlete_id,
        "device_id": rec.device.device_id,
        "start_time_gmt": start,
        "_source": d.SOURCE_NAME,
        "_fetched_at": fetched,
        "payload": {
            "activityId": rec.activity_id,
            "athleteId": w.athlete.athlete_id,
            "deviceId": rec.device.device_id,
            "activityName": f"{w.place.zone.split('/')[-1].replace('_', ' ')} {rec.activity_type.replace('_', ' ')}",
            "activityType": rec.activity_type,
            "startTimeGmt": start,
            "timeZoneOffsetSec": utc_offset_s(start, zone),
            "elapsedDuration": n,
            "movingDuration": moving_s,
            "distance": _r(distance_m),
            "elevationGain": _r(gain),
            "averageHR": _r(avg_hr),
            "maxHR": int(hr.max()) if hr is not None and n else None,
            "averagePower": _r(avg_power),
            "averageSpeed": _r(distance_m / moving_s, 3) if distance_m is not None and moving_s else None,
            "calories": _r(kcal, 0),
            "averageCadence": _r(avg_cadence),
            "perceivedExertion": w.rpe,
            "hasGps": cols["position_lat"] is not None,
            "indoor": w.indoor,
        },
    }
    laps = []
    for i, (a, b) in enumerate(_laps(w, rec, stream)):
        sl = slice(a, b)
        lap_dist = float(dist[b - 1] - (dist[a - 1] if a > 0 else 0)) / 100 if dist is not None else None
        lap_moving = int(moving[sl].sum())
        laps.append(
            {
                "activity_id": rec.activity_id,
                "lap_index": i,
                "_source": d.SOURCE_NAME,
                "_fetched_at": fetched,
                "payload": {
                    "activityId": rec.activity_id,
                    "lapIndex": i,
                    "startTimeGmt": int(stream.timestamp[a]),
                    "elapsedDuration": b - a,
                    "distance": _r(lap_dist),
                    "averageHR": _r(_mean(hr, sl)),
                    "maxHR": int(hr[sl].max()) if hr is not None else None,
                    "averagePower": _r(_mean(power, sl)),
                    "averageSpeed": _r(lap_dist / lap_moving, 3)
                    if lap_dist is not None and lap_moving
                    else None,
                },
            }
        )
    return activity, laps


_NUMPY_DTYPES = {
    pa.int8(): np.int8,
    pa.int16(): np.int16,
    pa.int32(): np.int32,
    pa.int64(): np.int64,
    pa.float64(): np.float64,
}
_TS_TYPE = pa.timestamp("us", tz="UTC")


def repeat_strings(values: list[str], counts: list[int]) -> pa.Array:
    """``values[i]`` repeated ``counts[i]`` times, built straight into Arrow buffers (no per-row Python)."""
    encoded = [v.encode() for v in values]
    data = b"".join(e * c for e, c in zip(encoded, counts, strict=True))
    lengths = np.repeat(np.array([len(e) for e in encoded], dtype=np.int64), counts)
    offsets = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] < 2**31:
        return pa.Array.from_buffers(
            pa.string(), lengths.size, [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)]
        )
    return pa.Array.from_buffers(
        pa.large_string(), lengths.size, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    ).cast(pa.string())


def arrow_from_numpy(values: np.ndarray, typ: pa.DataType) -> pa.Array:
    """Zero-copy Arrow view of a numpy array (pa.array() on numpy imports pandas, which costs seconds)."""
    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(typ, values.size, [None, pa.py_buffer(values)])


def with_validity(values: np.ndarray, valid: np.ndarray, typ: pa.DataType) -> pa.Array:
    """A primitive Arrow array with nulls where ``valid`` is False (built from buffers; pandas never imported)."""
    bitmap = np.packbits(valid, bitorder="little")
    return pa.Array.from_buffers(
        typ,
        values.size,
        [pa.py_buffer(bitmap), pa.py_buffer(values)],
        null_count=int(values.size - valid.sum()),
    )


def repeat_timestamps(values: list[datetime], counts: list[int]) -> pa.Array:
    micros = np.array([int(v.timestamp()) * 1_000_000 for v in values], dtype=np.int64)
    return arrow_from_numpy(np.repeat(micros, counts), _TS_TYPE)


def constant_source(n: int) -> pa.Array:
    return repeat_strings([d.SOURCE_NAME], [n])


def _stream_table(streams: list[RecordingStream], fetched: list[datetime]) -> pa.Table:
    counts = [s.n for s in streams]
    total = sum(counts)
    arrays: dict[str, pa.Array] = {
        "activity_id": repeat_strings([s.recording.activity_id for s in streams], counts),
        "timestamp": arrow_from_numpy(
            np.concatenate([s.timestamp for s in streams] or [np.zeros(0, np.int64)]), pa.int64()
        ),
    }
    for name in STREAM_COLUMNS:
        typ = STREAM_SCHEMA.field(name).type
        parts = [s.columns[name] for s in streams]
        if all(p is None for p in parts):
            arrays[name] = pa.nulls(total, typ)
            continue
        dtype = _NUMPY_DTYPES[typ]
        values = np.concatenate(
            [p if p is not None else np.zeros(s.n, dtype) for p, s in zip(parts, streams, strict=True)]
        )
        values = values.astype(dtype, copy=False)
        if any(p is None for p in parts):
            valid = np.repeat(np.array([p is not None for p in parts]), counts)
            arrays[name] = with_validity(values, valid, typ)
        else:
            arrays[name] = arrow_from_numpy(values, typ)
    arrays["_source"] = constant_source(total)
    arrays["_fetched_at"] = repeat_timestamps(fetched, counts)
    return pa.Table.from_pydict(arrays, schema=STREAM_SCHEMA)


# ---------------------------------------------------------------------------------------------- a chunk


@dataclass
class Chunk:
    athlete_index: int
    first: date
    last: date
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    arrow: dict[str, pa.Table] = field(default_factory=dict)

    def item(self, table: str) -> list[dict[str, Any]] | pa.Table | None:
        if table in self.arrow:
            return self.arrow[table] if self.arrow[table].num_rows else None
        rows = self.rows.get(table)
        return rows or None

    @property
    def samples(self) -> int:
        return sum(t.num_rows for t in self.arrow.values())


def _load_history(seed: int, athlete: Athlete, first: date, last: date) -> dict[date, tuple[float, float]]:
    """(ATL, CTL) at the start of each day from the planned workouts (7- and 42-day exponential averages).

    Each day's pair is computed over the LOAD_WARMUP_DAYS before it, seeded with a typical week, so it depends
    on the day alone and not on where the chunk starts: a day generated in a one-day increment is the same day
    as in a full build (the incremental warehouse's equivalence relies on it)."""
    ka, kc = 1 - np.exp(-1 / 7), 1 - np.exp(-1 / 42)
    span = (last - first).days + 1
    start = first - timedelta(days=d.LOAD_WARMUP_DAYS)
    loads = [
        sum(w.load for w in plan_day(seed, athlete, start + timedelta(days=i)).workouts)
        for i in range(d.LOAD_WARMUP_DAYS + span)
    ]
    out: dict[date, tuple[float, float]] = {}
    for k in range(span):
        atl = ctl = 60.0  # seed the averages with a typical week so the warm-up is not "fresh"
        for load in loads[k : k + d.LOAD_WARMUP_DAYS]:
            atl += ka * (load - atl)
            ctl += kc * (load - ctl)
        out[first + timedelta(days=k)] = (atl, ctl)
    return out


def generate_chunk(
    seed: int, athlete_index: int, first: date, last: date, cutoff: int | None = None
) -> Chunk:
    """Every table's records for one athlete's days [first, last] (records ending after ``cutoff`` are left out)."""
    athlete = make_athlete(seed, athlete_index)
    chunk = Chunk(athlete_index, first, last)
    history = _load_history(seed, athlete, first, last)
    activities: list[dict] = []
    laps: list[dict] = []
    sleeps: list[dict] = []
    summaries: list[dict] = []
    weigh_ins: list[dict] = []
    streams: list[RecordingStream] = []
    stream_fetched: list[datetime] = []
    level_parts: list[tuple[SleepRecord, str, datetime]] = []
    intraday_parts: list[tuple[IntradaySeries, datetime]] = []
    limit = cutoff if cutoff is not None else 2**62

    day = first
    while day <= last:
        plan = plan_day(seed, athlete, day)
        next_plan = plan_day(seed, athlete, day + timedelta(days=1))
        day_start = day_start_epoch(athlete, day)
        day_end = day_start_epoch(athlete, day + timedelta(days=1))
        fetched = fetched_at(min(day_end, limit))
        profile = profile_on(seed, athlete, day)
        atl, ctl = history[day]
        fit = season_fitness(athlete, day)
        phys = physiology(
            plan,
            profile,
            athlete.hrv_base_ms,
            atl,
            ctl,
            fit,
            rng_for(seed, athlete_index, day, Purpose.DAILY),
            illness_on(seed, athlete, day),
            overreaching_on(seed, athlete, day),
        )
        zone = plan.place.zone

        # workouts: truth once, then each device's recording
        workout_hr: list[tuple[Workout, np.ndarray]] = []
        steps_from_runs = 0
        active_kcal = 0.0
        for w in plan.workouts:
            srng = rng_for(seed, athlete_index, day, Purpose.STREAM, w.slot)
            truth = workout_truth(w, profile, srng)
            workout_hr.append((w, truth.hr))
            if w.sport == "run" and truth.cadence is not None:
                steps_from_runs += int(truth.cadence.sum() / 60)  # running cadence is in steps per minute
            for rec in w.recordings:
                stream = device_view(w, truth, rec, srng)
                fault = fault_for(seed, w, rec)
                if fault is not None:  # a labelled sensor fault (ground truth: truth.fault_truth)
                    inject(stream.columns, fault)
                if stream.n == 0 or int(stream.timestamp[-1]) > limit:
                    continue
                activity, rec_laps = activity_records(w, rec, stream, fetched)
                activities.append(activity)
                laps.extend(rec_laps)
                streams.append(stream)
                stream_fetched.append(fetched)
                if not rec.is_duplicate_copy:
                    active_kcal += activity["payload"]["calories"] or 0.0

        # sleep (the night ending this morning), from the ring and the watch
        night = [
            s
            for s in sleep_records(plan, phys, rng_for(seed, athlete_index, day, Purpose.HYPNO))
            if s.end_epoch <= limit
        ]
        for s in night:
            sleep_id = f"2{athlete_index + 1:03d}{day_number(day):05d}{s.device.model.code}"
            sleeps.append(
                {
                    "sleep_id": sleep_id,
                    "athlete_id": athlete.athlete_id,
                    "device_id": s.device.device_id,
                    "_source": d.SOURCE_NAME,
                    "_fetched_at": fetched,
                    "payload": {
                        "sleepId": sleep_id,
                        "athleteId": athlete.athlete_id,
                        "deviceId": s.device.device_id,
                        "sleepStartTimestampGmt": s.start_epoch * 1000,
                        "sleepEndTimestampGmt": s.end_epoch * 1000,
                        "timeZoneOffsetSec": utc_offset_s(s.end_epoch, zone),
                        "deepSleepSeconds": s.seconds[0],
                        "lightSleepSeconds": s.seconds[1],
                        "remSleepSeconds": s.seconds[2],
                        "awakeSleepSeconds": s.seconds[3],
                        "sleepScore": s.score,
                        "averageHeartRate": _r(s.average_hr),
                        "lowestHeartRate": int(round(s.lowest_hr)),
                        "avgOvernightHrv": _r(s.hrv_ms),
                        "averageRespirationRate": _r(s.respiration),
                    },
                }
            )
            level_parts.append((s, sleep_id, fetched))

        # daily summaries per device (the day must be over)
        drng = rng_for(seed, athlete_index, day, Purpose.DAILY, 1)
        if day_end <= limit:
            steps = int(athlete.steps_base * drng.uniform(0.7, 1.3) + steps_from_runs)
            neat = float(drng.uniform(250, 600))
            by_type = {s.device.model.device_type: s for s in night}
            for device_type in ("watch", "ring"):
                dev = athlete.device(device_type)
                if dev is None:
                    continue
                watch = device_type == "watch"
                sleep = by_type.get(device_type)
                rhr = phys.resting_hr + (drng.uniform(0, 2) if watch else -drng.uniform(0, 2))
                summaries.append(
                    {
                        "device_id": dev.device_id,
                        "calendar_date": day.isoformat(),
                        "athlete_id": athlete.athlete_id,
                        "_source": d.SOURCE_NAME,
                        "_fetched_at": fetched,
                        "payload": {
                            "athleteId": athlete.athlete_id,
                            "deviceId": dev.device_id,
                            "calendarDate": day.isoformat(),
                            "timeZoneOffsetSec": utc_offset_s(day_start + 12 * 3600, zone),
                            "restingHeartRate": int(round(rhr)),
                            "hrvLastNightAvg": _r(sleep.hrv_ms) if sleep else None,
                            "totalSteps": int(steps if watch else steps * drng.uniform(0.85, 1.1)),
                            "activeKilocalories": int(
                                round((active_kcal + neat) * (1.0 if watch else drng.uniform(0.8, 1.15)))
                            ),
                            "averageStressLevel": None,  # filled below from the watch's intraday stress
                            "bodyBatteryHighest": int(
                                np.clip(35 + (sleep.score if sleep else 60) * 0.6 + drng.normal(0, 5), 5, 100)
                            )
                            if watch
                            else None,
                        },
                    }
                )

        if plan.weigh_in_epoch is not None and plan.weigh_in_epoch <= limit:
            scale = athlete.device("scale")
            wrng = rng_for(seed, athlete_index, day, Purpose.WEIGH)
            weight_kg = (
                athlete.weight_kg * (1 + 0.015 * np.sin(2 * np.pi * day.timetuple().tm_yday / 365))
                - 0.8 * fit
            )
            weight_kg += wrng.normal(0, 0.35)
            weigh_ins.append(
                {
                    "device_id": scale.device_id,
                    "timestamp_gmt": plan.weigh_in_epoch * 1000,
                    "athlete_id": athlete.athlete_id,
                    "_source": d.SOURCE_NAME,
                    "_fetched_at": fetched,
                    "payload": {
                        "athleteId": athlete.athlete_id,
                        "deviceId": scale.device_id,
                        "timestampGmt": plan.weigh_in_epoch * 1000,
                        "weight": int(round(weight_kg * 1000)),
                        "bodyFat": _r(athlete.body_fat_pct - 1.5 * fit + wrng.normal(0, 0.4)),
                    },
                }
            )

        series = intraday_series(
            plan,
            next_plan,
            phys,
            day_start,
            day_end,
            night,
            workout_hr,
            rng_for(seed, athlete_index, day, Purpose.INTRADAY),
        )
        stress = [s for s in series if s.metric == "stress"]
        if stress and stress[0].value.size:
            for row in summaries:
                if row["calendar_date"] == day.isoformat() and row["device_id"] == stress[0].device.device_id:
                    row["payload"]["averageStressLevel"] = int(round(float(stress[0].value.mean())))
        for s in series:
            keep = s.timestamp <= limit
            if not keep.all():
                s = IntradaySeries(s.device, s.metric, s.timestamp[keep], s.value[keep])
            intraday_parts.append((s, fetched))
        day += timedelta(days=1)

    chunk.rows = {
        "activities": activities,
        "laps": laps,
        "sleep": sleeps,
        "daily_summaries": summaries,
        "weigh_ins": weigh_ins,
    }
    chunk.arrow = {
        "activity_streams": _stream_table(streams, stream_fetched),
        "sleep_levels": _sleep_level_table(level_parts),
        "intraday": _intraday_table(athlete, intraday_parts),
    }
    return chunk


def _sleep_level_table(parts: list[tuple[SleepRecord, str, datetime]]) -> pa.Table:
    counts = [s.level.size for s, _, _ in parts]
    return pa.Table.from_pydict(
        {
            "sleep_id": repeat_strings([sid for _, sid, _ in parts], counts),
            "start_gmt": arrow_from_numpy(
                np.concatenate([s.level_start_s for s, _, _ in parts] or [np.zeros(0, np.int64)]) * 1000,
                pa.int64(),
            ),
            "end_gmt": arrow_from_numpy(
                np.concatenate([s.level_end_s for s, _, _ in parts] or [np.zeros(0, np.int64)]) * 1000,
                pa.int64(),
            ),
            "activity_level": arrow_from_numpy(
                np.concatenate([s.level for s, _, _ in parts] or [np.zeros(0, np.int8)]).astype(np.int8),
                pa.int8(),
            ),
            "_source": constant_source(sum(counts)),
            "_fetched_at": repeat_timestamps([f for _, _, f in parts], counts),
        },
        schema=SLEEP_LEVEL_SCHEMA,
    )


def _intraday_table(athlete: Athlete, parts: list[tuple[IntradaySeries, datetime]]) -> pa.Table:
    counts = [s.timestamp.size for s, _ in parts]
    total = sum(counts)
    return pa.Table.from_pydict(
        {
            "athlete_id": repeat_strings([athlete.athlete_id], [total]),
            "device_id": repeat_strings([s.device.device_id for s, _ in parts], counts),
            "metric": repeat_strings([s.metric for s, _ in parts], counts),
            "timestamp": arrow_from_numpy(
                np.concatenate([s.timestamp for s, _ in parts] or [np.zeros(0, np.int64)]).astype(np.int64),
                pa.int64(),
            ),
            "value": arrow_from_numpy(
                np.concatenate([s.value for s, _ in parts] or [np.zeros(0)]).astype(np.float64), pa.float64()
            ),
            "_source": constant_source(total),
            "_fetched_at": repeat_timestamps([f for _, f in parts], counts),
        },
        schema=INTRADAY_SCHEMA,
    )


def chunk_bounds(first: date, last: date, chunk_days: int = d.CHUNK_DAYS) -> Iterator[tuple[date, date]]:
    day = first
    while day <= last:
        end = min(last, day + timedelta(days=chunk_days - 1))
        yield day, end
        day = end + timedelta(days=1)
