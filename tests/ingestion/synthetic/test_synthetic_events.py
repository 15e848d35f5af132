"""Labelled overreaching blocks and runs of restricted sleep in the synthetic cohort, beside the illness episodes:
the ground truth the anomaly benchmark scores per event kind."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from ingestion.sources.synthetic import event_truth, illness_truth
from ingestion.sources.synthetic.daily import physiology
from ingestion.sources.synthetic.model import (
    EVENT_GAP_DAYS,
    make_athlete,
    overreaching_on,
    plan_day,
    profile_on,
    sleep_restriction_on,
)
from ingestion.sources.synthetic.truth import EVENT_KINDS

END = date(2026, 6, 30)


@pytest.fixture(scope="module")
def two_years() -> pl.DataFrame:
    return event_truth(athletes=20, days=730, seed=42, end_date=END)


def _athlete(athlete_id: str):
    athlete = make_athlete(42, int(athlete_id.split("-")[1]) - 1)
    assert athlete.athlete_id == athlete_id
    return athlete


def test_every_kind_is_labelled_with_its_lengths_and_illness_is_unchanged(two_years):
    assert set(two_years["kind"]) == set(EVENT_KINDS)
    lengths = two_years.with_columns(days=(pl.col("end_date") - pl.col("start_date")).dt.total_days() + 1)
    for kind, allowed in (
        ("illness", {3, 4, 5, 6}),
        ("overreaching", set(range(7, 15))),
        ("sleep_restriction", set(range(3, 8))),
    ):
        found = lengths.filter(pl.col("kind") == kind)
        assert found.height >= 20, kind  # at least one a year per two athletes
        assert set(found["days"]) <= allowed, kind
    # illness_truth is the illness rows of the same truth.
    ill = illness_truth(athletes=20, days=730, seed=42, end_date=END)
    same = two_years.filter(pl.col("kind") == "illness").select(ill.columns)
    assert same.sort("athlete_id", "start_date").equals(ill.sort("athlete_id", "start_date"))


def test_events_of_different_kinds_are_a_week_apart_and_window_independent(two_years):
    for (athlete,), rows in two_years.group_by(["athlete_id"]):
        events = rows.sort("start_date").rows(named=True)
        for a, b in zip(events, events[1:], strict=False):
            if a["kind"] != b["kind"]:
                assert (b["start_date"] - a["end_date"]).days > EVENT_GAP_DAYS, (athlete, a, b)
    recent = event_truth(athletes=20, days=120, seed=42, end_date=END)
    inside = two_years.filter(pl.col("end_date") >= END - timedelta(days=119))
    assert recent.sort("athlete_id", "start_date").equals(inside.sort("athlete_id", "start_date"))


def test_overreaching_builds_over_three_days_then_holds(two_years):
    block = two_years.filter(pl.col("kind") == "overreaching").row(0, named=True)
    athlete = _athlete(block["athlete_id"])
    start = block["start_date"]
    assert overreaching_on(42, athlete, start - timedelta(days=1)) is None
    for offset, share in ((0, 1 / 3), (1, 2 / 3), (2, 1.0), (5, 1.0)):
        day = start + timedelta(days=offset)
        on = overreaching_on(42, athlete, day)
        assert on is not None
        args = (
            plan_day(42, athlete, day),
            profile_on(42, athlete, day),
            athlete.hrv_base_ms,
            50.0,
            50.0,
            0.5,
        )
        well = physiology(*args, np.random.default_rng(1))
        tired = physiology(*args, np.random.default_rng(1), None, on)
        assert tired.resting_hr - well.resting_hr == pytest.approx(share * block["rhr_rise_bpm"])
        assert tired.hrv_ms / well.hrv_ms == pytest.approx(1 - share * (1 - block["hrv_factor"]))


def test_sleep_restriction_shortens_the_nights_by_the_labelled_hours(two_years):
    short = two_years.filter(pl.col("kind") == "sleep_restriction").row(0, named=True)
    athlete = _athlete(short["athlete_id"])
    day = short["start_date"]
    restriction = sleep_restriction_on(42, athlete, day)
    assert restriction is not None and restriction.cut_h == short["sleep_cut_h"]
    assert sleep_restriction_on(42, athlete, day - timedelta(days=1)) is None
    night = plan_day(42, athlete, day).sleep
    hours = (night.wake_epoch - night.onset_epoch) / 3600
    # Planned sleep is 5.2-9.8 h; the restricted night is cut_h shorter (to bed later, same alarm), at least 4.5 h.
    assert 4.5 <= hours <= 9.8 - short["sleep_cut_h"] + 1 / 3600
