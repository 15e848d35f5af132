"""Ground truth, never loaded into the warehouse: which recordings are the same real workout (the merge), the
labelled events injected into the daily physiology and sleep (the anomaly benchmark: illness episodes,
overreaching blocks and runs of restricted sleep) and the labelled sensor faults injected into a few recordings
(marts.activity_data_issues).

Computed from the plans alone (no streams), so it is cheap and always agrees with what the source generates for the
same parameters.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from .faults import fault_for, recording_length
from .model import (
    ILLNESS_PERIOD_DAYS,
    day_number,
    illness_in_period,
    make_athlete,
    overreaching_in_period,
    plan_day,
    sleep_restriction_in_period,
)
from .source import resolve_window, validate

TRUTH_SCHEMA = {
    "workout_id": pl.String,
    "activity_id": pl.String,
    "athlete_id": pl.String,
    "is_duplicate_copy": pl.Boolean,
    "device_id": pl.String,
    "device_type": pl.String,
    "sport": pl.String,
    "activity_type": pl.String,
    "kind": pl.String,
    "indoor": pl.Boolean,
    "part_index": pl.Int32,
    "n_parts": pl.Int32,
    "skew_s": pl.Int32,
    "true_start_gmt": pl.Int64,
    "true_end_gmt": pl.Int64,
    "recording_start_gmt": pl.Int64,
    "recording_end_gmt": pl.Int64,
    "tags": pl.String,
}


def ground_truth(
    athletes: int = 3, days: int = 365, seed: int = 42, end_date: date | None = None
) -> pl.DataFrame:
    """One row per recording (= raw ``activities`` row): the real workout it belongs to and how it was recorded.

    ``is_duplicate_copy`` is False for exactly one recording per workout (its first device's first file);
    ``tags`` lists the adversarial situations (multi_device, split_file, clock_skew, near_simultaneous, back_to_back).
    Recordings that end after "now" (when the window reaches today) are left out, as the source leaves them out.
    """
    validate(athletes, days, seed, end_date)
    window = resolve_window(days, end_date)
    limit = window.cutoff if window.cutoff is not None else 2**62
    rows: list[dict] = []
    for k in range(athletes):
        athlete = make_athlete(seed, k)
        day = window.first
        while day <= window.last:
            for w in plan_day(seed, athlete, day).workouts:
                for rec in w.recordings:
                    start = rec.start_epoch(w)
                    end = start + rec.covers[1] - rec.covers[0]
                    if end - 1 > limit or end <= start:
                        continue
                    rows.append(
                        {
                            "workout_id": w.workout_id,
                            "activity_id": rec.activity_id,
                            "athlete_id": athlete.athlete_id,
                            "is_duplicate_copy": rec.is_duplicate_copy,
                            "device_id": rec.device.device_id,
                            "device_type": rec.device.model.device_type,
                            "sport": w.sport,
                            "activity_type": rec.activity_type,
                            "kind": w.kind,
                            "indoor": w.indoor,
                            "part_index": rec.part_index,
                            "n_parts": rec.n_parts,
                            "skew_s": rec.skew_s,
                            "true_start_gmt": w.start_epoch,
                            "true_end_gmt": w.end_epoch,
                            "recording_start_gmt": start,
                            "recording_end_gmt": end,
                            "tags": ",".join(sorted(set(w.tags))),
                        }
                    )
            day += timedelta(days=1)
    return pl.DataFrame(rows, schema=TRUTH_SCHEMA)


ILLNESS_SCHEMA = {
    "athlete_id": pl.String,
    "kind": pl.String,
    "start_date": pl.Date,
    "end_date": pl.Date,
    "rhr_rise_bpm": pl.Float64,
    "hrv_factor": pl.Float64,
}


def illness_truth(
    athletes: int = 3, days: int = 365, seed: int = 42, end_date: date | None = None
) -> pl.DataFrame:
    """One row per labelled illness episode (kind 'illness') overlapping the window: its local dates (inclusive),
    the resting-HR rise (bpm) and the RMSSD factor the synthetic physiology applied on those days."""
    validate(athletes, days, seed, end_date)
    window = resolve_window(days, end_date)
    rows: list[dict] = []
    for k in range(athletes):
        athlete = make_athlete(seed, k)
        first_period = day_number(window.first) // ILLNESS_PERIOD_DAYS
        last_period = day_number(window.last) // ILLNESS_PERIOD_DAYS
        for period in range(first_period, last_period + 1):
            episode = illness_in_period(seed, athlete, period)
            if episode is None or episode.last < window.first or episode.start > window.last:
                continue
            rows.append(
                {
                    "athlete_id": athlete.athlete_id,
                    "kind": "illness",
                    "start_date": episode.start,
                    "end_date": episode.last,
                    "rhr_rise_bpm": episode.rhr_rise_bpm,
                    "hrv_factor": episode.hrv_factor,
                }
            )
    return pl.DataFrame(rows, schema=ILLNESS_SCHEMA)


EVENT_SCHEMA = {
    "athlete_id": pl.String,
    "kind": pl.String,
    "start_date": pl.Date,
    "end_date": pl.Date,
    "rhr_rise_bpm": pl.Float64,
    "hrv_factor": pl.Float64,
    "sleep_cut_h": pl.Float64,
}
EVENT_KINDS = ("illness", "overreaching", "sleep_restriction")


def event_truth(
    athletes: int = 3, days: int = 365, seed: int = 42, end_date: date | None = None
) -> pl.DataFrame:
    """One row per labelled event overlapping the window, of every kind (EVENT_KINDS): its local dates
    (inclusive) and what the synthetic physiology applied on those days: 'illness' (resting HR + rhr_rise_bpm,
    RMSSD x hrv_factor), 'overreaching' (the same at full effect, reached over the block's first 3 days) and
    'sleep_restriction' (each night ending on those dates sleep_cut_h hours shorter). Events of different kinds
    are at least a week apart."""
    validate(athletes, days, seed, end_date)
    window = resolve_window(days, end_date)
    rows: list[dict] = []
    for k in range(athletes):
        athlete = make_athlete(seed, k)
        first_period = day_number(window.first) // ILLNESS_PERIOD_DAYS
        last_period = day_number(window.last) // ILLNESS_PERIOD_DAYS
        for period in range(first_period, last_period + 1):
            found = (
                ("illness", illness_in_period(seed, athlete, period)),
                ("overreaching", overreaching_in_period(seed, athlete, period)),
                ("sleep_restriction", sleep_restriction_in_period(seed, athlete, period)),
            )
            for kind, event in found:
                if event is None or event.last < window.first or event.start > window.last:
                    continue
                rows.append(
                    {
                        "athlete_id": athlete.athlete_id,
                        "kind": kind,
                        "start_date": event.start,
                        "end_date": event.last,
                        "rhr_rise_bpm": getattr(event, "rhr_rise_bpm", None),
                        "hrv_factor": getattr(event, "hrv_factor", None),
                        "sleep_cut_h": getattr(event, "cut_h", None),
                    }
                )
    return pl.DataFrame(rows, schema=EVENT_SCHEMA).sort("athlete_id", "start_date")


FAULT_SCHEMA = {
    "athlete_id": pl.String,
    "workout_id": pl.String,
    "activity_id": pl.String,
    "sport": pl.String,
    "device_type": pl.String,
    "kind": pl.String,
    "channel": pl.String,
    "start_offset_s": pl.Int64,
    "end_offset_s": pl.Int64,
    "samples": pl.Int64,
    "start_gmt": pl.Int64,
    "end_gmt": pl.Int64,
    "size": pl.Float64,
}


def fault_truth(
    athletes: int = 3, days: int = 365, seed: int = 42, end_date: date | None = None
) -> pl.DataFrame:
    """One row per labelled sensor fault injected into a recording (``faults.fault_for``): the raw recording
    (``activity_id``), the kind and channel, the affected samples as offsets from the recording's first sample
    (end inclusive) and as device-clock epoch seconds (as the samples' timestamps), and the size (bpm added by a
    spike, W of a power spike, m of a GPS jump; 0 otherwise). Recordings left out of the window are left out."""
    validate(athletes, days, seed, end_date)
    window = resolve_window(days, end_date)
    limit = window.cutoff if window.cutoff is not None else 2**62
    rows: list[dict] = []
    for k in range(athletes):
        athlete = make_athlete(seed, k)
        day = window.first
        while day <= window.last:
            for w in plan_day(seed, athlete, day).workouts:
                for rec in w.recordings:
                    fault = fault_for(seed, w, rec)
                    n = recording_length(w, rec)
                    start = rec.start_epoch(w)
                    if fault is None or start + n - 1 > limit:
                        continue
                    rows.append(
                        {
                            "athlete_id": athlete.athlete_id,
                            "workout_id": w.workout_id,
                            "activity_id": rec.activity_id,
                            "sport": w.sport,
                            "device_type": rec.device.model.device_type,
                            "kind": fault.kind,
                            "channel": fault.channel,
                            "start_offset_s": fault.start,
                            "end_offset_s": fault.end - 1,
                            "samples": fault.end - fault.start,
                            "start_gmt": start + fault.start,
                            "end_gmt": start + fault.end - 1,
                            "size": fault.size,
                        }
                    )
            day += timedelta(days=1)
    return pl.DataFrame(rows, schema=FAULT_SCHEMA)
