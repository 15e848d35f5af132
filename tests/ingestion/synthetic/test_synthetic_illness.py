"""Labelled illness episodes in the synthetic cohort: the ground truth of the anomaly benchmark."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from ingestion.sources.synthetic import illness_truth
from ingestion.sources.synthetic.daily import physiology
from ingestion.sources.synthetic.model import illness_on, make_athlete, plan_day, profile_on

END = date(2026, 6, 30)


def test_episodes_are_a_few_days_about_twice_a_year_and_window_independent():
    two_years = illness_truth(athletes=20, days=730, seed=42, end_date=END)
    assert two_years.height > 0
    lengths = [(r["end_date"] - r["start_date"]).days + 1 for r in two_years.iter_rows(named=True)]
    assert set(lengths) <= {3, 4, 5, 6}
    per_athlete_year = two_years.height / 20 / 2
    assert 1.0 <= per_athlete_year <= 3.0
    assert (two_years["rhr_rise_bpm"] >= 6).all() and (two_years["hrv_factor"] <= 0.75).all()
    # A shorter window only cuts the list; it never changes an episode.
    recent = illness_truth(athletes=20, days=120, seed=42, end_date=END)
    inside = two_years.filter(pl.col("end_date") >= END - timedelta(days=119))
    assert recent.sort(["athlete_id", "start_date"]).equals(inside.sort(["athlete_id", "start_date"]))


def test_illness_days_raise_resting_hr_and_lower_hrv_by_the_labelled_amounts():
    episode = illness_truth(athletes=20, days=730, seed=42, end_date=END).row(0, named=True)
    athlete = make_athlete(42, int(episode["athlete_id"].split("-")[1]) - 1)
    assert athlete.athlete_id == episode["athlete_id"]
    day = episode["start_date"]
    sick = illness_on(42, athlete, day)
    assert sick is not None and illness_on(42, athlete, day - timedelta(days=1)) is None
    args = (plan_day(42, athlete, day), profile_on(42, athlete, day), athlete.hrv_base_ms, 50.0, 50.0, 0.5)
    well = physiology(*args, np.random.default_rng(1))
    ill = physiology(*args, np.random.default_rng(1), sick)
    assert ill.resting_hr - well.resting_hr == pytest.approx(episode["rhr_rise_bpm"])
    assert ill.hrv_ms / well.hrv_ms == pytest.approx(episode["hrv_factor"])
