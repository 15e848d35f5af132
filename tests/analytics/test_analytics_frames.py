"""daily_training_load: per athlete, every calendar day, the same numbers as the array functions."""

from datetime import date

import numpy as np
import polars as pl
import pytest

import analytics as a


def loads() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "athlete_id": ["a", "a", "a", "b", "a"],
            "date": [
                date(2026, 1, 1),
                date(2026, 1, 1),
                date(2026, 1, 4),
                date(2026, 1, 3),
                date(2026, 1, 10),
            ],
            "load": [50.0, 30.0, None, 100.0, 70.0],
        }
    )


def test_every_day_and_same_numbers_as_arrays():
    out = a.daily_training_load(loads(), end_date=date(2026, 1, 12), pmc_convention="trainingpeaks")
    athlete_a = out.filter(pl.col("athlete_id") == "a")
    assert athlete_a.height == 12 and out.filter(pl.col("athlete_id") == "b").height == 10
    expected_load = np.zeros(12)
    expected_load[[0, 9]] = [80.0, 70.0]
    np.testing.assert_allclose(athlete_a["load"].to_numpy(), expected_load)
    assert athlete_a["activities"].to_list()[:4] == [2, 0, 0, 1]
    assert athlete_a["unscored_activities"].sum() == 1
    chart = a.pmc(expected_load, "trainingpeaks")
    np.testing.assert_allclose(athlete_a["ctl"].to_numpy(), chart["ctl"])
    np.testing.assert_allclose(athlete_a["tsb"].to_numpy(), chart["tsb"])
    mono = a.monotony_strain(expected_load)["monotony"]
    got = athlete_a["monotony"].to_numpy()  # nulls -> NaN: before the first full week and all-rest weeks
    np.testing.assert_array_equal(np.isnan(got), np.isnan(mono))
    assert np.isnan(got[[0, 5, 7, 8]]).all() and not np.isnan(got[[6, 9]]).any()
    assert set(out["pmc_convention"]) == {"trainingpeaks"} and set(out["tsb_alignment"]) == {"yesterday"}


def test_switching_convention_changes_ctl_as_predicted():
    frame = pl.DataFrame({"athlete_id": [1] * 42, "date": pl.date_range(date(2026, 1, 1), date(2026, 2, 11), eager=True),
                          "load": [100.0] * 42})  # fmt: skip
    last = {c: a.daily_training_load(frame, pmc_convention=c)["ctl"][-1] for c in a.VARIANTS["pmc"]}
    assert last == pytest.approx({"goldencheetah": 63.21, "trainingpeaks": 63.65, "ema": 86.47}, abs=0.005)


def test_errors():
    with pytest.raises(ValueError, match="lacks column"):
        a.daily_training_load(loads().drop("load"))
    with pytest.raises(ValueError, match="before athlete"):
        a.daily_training_load(loads(), end_date=date(2025, 12, 1))
    with pytest.raises(ValueError, match="valid: goldencheetah, trainingpeaks, ema"):
        a.daily_training_load(loads(), pmc_convention="gc")
    empty = a.daily_training_load(loads().clear())
    assert empty.height == 0 and "ctl" in empty.columns
