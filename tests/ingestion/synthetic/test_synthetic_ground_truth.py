"""Ground truth for the merge: duplicate recordings overlap, differ a little, and the adversarial cases exist."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import polars as pl
import pytest

from ingestion.sources.synthetic import ground_truth


@pytest.fixture(scope="module")
def truth() -> pl.DataFrame:
    # a season of plans is cheap (no streams), and long enough for every rare case to occur
    return ground_truth(athletes=3, days=182, seed=42, end_date=date(2025, 6, 29))


def test_each_workout_has_exactly_one_original(truth):
    originals = truth.group_by("workout_id").agg((~pl.col("is_duplicate_copy")).sum().alias("n"))
    assert originals["n"].to_list() == [1] * originals.height
    assert truth["activity_id"].n_unique() == truth.height


def test_duplicate_recordings_overlap_in_time_from_different_devices(truth):
    multi = truth.filter(pl.col("tags").str.contains("multi_device"))
    assert multi["workout_id"].n_unique() >= 30
    for _, group in multi.group_by("workout_id"):
        assert group["device_id"].n_unique() >= 2
        rows = group.sort("recording_start_gmt").to_dicts()
        full = [r for r in rows if r["n_parts"] == 1]
        for a in full:
            for b in full:
                if a is not b:
                    overlap = min(a["recording_end_gmt"], b["recording_end_gmt"]) - max(
                        a["recording_start_gmt"], b["recording_start_gmt"]
                    )
                    assert overlap > 0.8 * (a["true_end_gmt"] - a["true_start_gmt"]) - 240


def test_adversarial_cases_occur(truth):
    tags = defaultdict(int)
    for value in truth.unique("workout_id")["tags"].to_list():
        for tag in filter(None, value.split(",")):
            tags[tag] += 1
    assert tags["split_file"] >= 2
    assert tags["clock_skew"] >= 5
    assert tags["near_simultaneous"] >= 10
    assert tags["back_to_back"] >= 2
    skews = truth["skew_s"].abs()
    assert skews.max() <= 125 and (skews >= 45).sum() >= 5
    # a split file: two parts of one device, with a gap, under one workout
    split = truth.filter(pl.col("n_parts") == 2)
    for _, parts in split.group_by("workout_id", "device_id"):
        first, second = parts.sort("part_index").to_dicts()
        assert 0 < second["recording_start_gmt"] - first["recording_end_gmt"] < 300
    # near-simultaneous but separate workouts: a few minutes apart, different workout ids
    originals = truth.filter(~pl.col("is_duplicate_copy")).sort("athlete_id", "true_start_gmt")
    gaps = originals.with_columns(
        (pl.col("true_start_gmt") - pl.col("true_end_gmt").shift(1).over("athlete_id")).alias("gap_s")
    )
    close = gaps.filter(pl.col("gap_s").is_between(0, 600))
    assert close.height >= 10 and close["workout_id"].n_unique() == close.height
    # indoor sessions without GPS are recorded by two devices too
    indoor_dupes = truth.filter(pl.col("indoor") & pl.col("tags").str.contains("multi_device"))
    assert indoor_dupes["workout_id"].n_unique() >= 5


def test_sessions_per_week_and_sports(truth):
    originals = truth.filter(~pl.col("is_duplicate_copy"))
    per_week = originals.height / 3 / 26
    assert 4.5 <= per_week <= 9
    assert set(originals["sport"].unique()) == {"ride", "run", "swim", "strength"}
    assert {
        "cycling",
        "indoor_cycling",
        "running",
        "trail_running",
        "lap_swimming",
        "strength_training",
    } <= set(originals["activity_type"].unique())
