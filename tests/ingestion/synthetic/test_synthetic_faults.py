"""Labelled sensor faults in the synthetic cohort: the ground truth of marts.activity_data_issues."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from ingestion.sources.synthetic import fault_truth
from ingestion.sources.synthetic.faults import FAULT_KINDS

END = date(2026, 6, 30)


def test_a_few_faults_per_athlete_every_kind_and_window_independent():
    year = fault_truth(athletes=6, days=365, seed=42, end_date=END)
    per_athlete = year.group_by("athlete_id").len()["len"]
    assert per_athlete.min() >= 3 and per_athlete.max() <= 40
    assert set(year["kind"]) == set(FAULT_KINDS)
    assert (year["samples"] == year["end_offset_s"] - year["start_offset_s"] + 1).all()
    assert (year["end_gmt"] - year["start_gmt"] == year["end_offset_s"] - year["start_offset_s"]).all()
    # only rides and runs; cadence lock only on watch runs, power spikes only on bike computers
    assert set(year["sport"]) <= {"ride", "run"}
    lock = year.filter(pl.col("kind") == "cadence_lock")
    assert set(lock["sport"]) == {"run"} and set(lock["device_type"]) == {"watch"}
    assert set(year.filter(pl.col("kind") == "power_spike")["device_type"]) == {"bike_computer"}
    # a shorter window only cuts the list
    recent = fault_truth(athletes=6, days=90, seed=42, end_date=END)
    assert recent.height < year.height
    assert recent.join(year, on=list(recent.columns), how="anti").height == 0
    assert fault_truth(athletes=6, days=90, seed=42, end_date=END).equals(recent)  # deterministic


def test_the_faults_are_in_the_generated_streams_where_labelled(cohort):
    truth = fault_truth(athletes=cohort.athletes, days=cohort.days, seed=cohort.seed, end_date=cohort.end)
    assert truth.height > 0
    streams = pl.from_arrow(cohort.arrow["activity_streams"])
    for fault in truth.iter_rows(named=True):
        rec = streams.filter(pl.col("activity_id") == fault["activity_id"]).sort("timestamp")
        assert rec.height > fault["end_offset_s"], fault
        inside = rec.slice(fault["start_offset_s"], fault["samples"])
        assert inside["timestamp"].to_list() == list(range(fault["start_gmt"], fault["end_gmt"] + 1))
        hr = inside["heart_rate"].to_numpy()
        if fault["kind"] == "hr_dropout":
            assert (hr == 0).all()
        elif fault["kind"] == "cadence_lock":
            assert np.array_equal(hr, inside["cadence"].to_numpy())
        elif fault["kind"] == "power_spike":
            assert (inside["power"].to_numpy() >= 1500).all()
        elif fault["kind"] == "flat_line":
            values = hr if fault["channel"] == "heart_rate" else inside["power"].to_numpy()
            assert len(set(values.tolist())) == 1
        elif fault["kind"] == "hr_spike":
            before = rec.slice(fault["start_offset_s"] - 20, 15)["heart_rate"].to_numpy()
            assert hr.min() >= np.median(before) + 25
        elif fault["kind"] == "gps_jump":
            before = rec["position_lat"][fault["start_offset_s"] - 1]
            jump_deg = (inside["position_lat"][0] - before) * 180 / 2**31
            assert jump_deg * 111_320 > 250


def test_recordings_without_a_fault_are_untouched_by_the_fault_draws(cohort):
    """Only the labelled recordings carry faults: elsewhere heart rate never reads 0 or above 230 bpm and power
    never reaches the injected spikes' 1,500 W."""
    truth = fault_truth(athletes=cohort.athletes, days=cohort.days, seed=cohort.seed, end_date=cohort.end)
    streams = pl.from_arrow(cohort.arrow["activity_streams"])
    clean = streams.filter(~pl.col("activity_id").is_in(truth["activity_id"].to_list()))
    hr = clean["heart_rate"].drop_nulls()
    assert hr.len() > 0 and hr.min() > 0 and hr.max() <= 230
    assert clean["power"].drop_nulls().max() < 1500
