"""Which synthetic cohort changes replace the loaded cohort, and which only add to it incrementally."""

from __future__ import annotations

import json

import pytest

from orchestration.synthetic_cohort import replaces


def _cohort(seed=42, athletes=3, days=365, end="2026-06-30") -> str:
    return json.dumps(
        {
            "synthetic_seed": str(seed),
            "synthetic_athletes": str(athletes),
            "synthetic_days": str(days),
            "synthetic_end_date": str(end),
        },
        sort_keys=True,
    )


@pytest.mark.parametrize(
    "wanted",
    [
        _cohort(days=366, end="2026-07-01"),
        _cohort(athletes=5),
        _cohort(days=400),
        _cohort(end=None),
        _cohort(),
    ],
    ids=["one more day", "more athletes", "longer window", "rolling to today", "unchanged"],
)
def test_a_larger_or_equal_cohort_adds_rows_incrementally(wanted):
    assert not replaces(_cohort(), wanted)


@pytest.mark.parametrize(
    "wanted",
    [_cohort(seed=5), _cohort(athletes=2), _cohort(days=300), _cohort(end="2026-06-01"), None],
    ids=["another seed", "fewer athletes", "shorter window", "earlier end", "disabled"],
)
def test_another_seed_or_a_smaller_cohort_replaces_the_loaded_one(wanted):
    assert replaces(_cohort(), wanted)


def test_a_fixed_end_replacing_today_replaces_the_cohort():
    assert replaces(_cohort(end=None), _cohort(end="2026-06-30"))
