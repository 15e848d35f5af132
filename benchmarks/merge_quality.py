"""Benchmark the activity merge against the synthetic ground truth.

    uv run python benchmarks/merge_quality.py --athletes 3 --days 120

Builds a fresh synthetic cohort (dlt -> dbt -> publish), then compares openfit.activity_recordings.activity_id with
`ground_truth(...)` (which recordings are the same real workout). Pairwise over recordings of the same athlete:
precision = correctly merged pairs / merged pairs, recall = correctly merged pairs / truly-same pairs.
Prints a table per adversarial tag, then a last line of JSON. Target: precision and recall >= 0.99.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
from cohort import add_cohort_arguments, cohort_env  # this folder's helper

TARGET = 0.99


@dataclass(frozen=True)
class PairScores:
    true_pairs: int  # pairs of recordings that are the same workout (truth)
    predicted_pairs: int  # pairs the merge put in one activity
    correct_pairs: int  # both

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def _same_group_pairs(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """All unordered pairs (a, b) of external_id that share `key`."""
    left = frame.select("external_id", key)
    pairs = left.join(left, on=key, suffix="_b").filter(pl.col("external_id") < pl.col("external_id_b"))
    return pairs.select(a="external_id", b="external_id_b")


def pair_scores(truth: pl.DataFrame, recordings: pl.DataFrame) -> PairScores:
    """truth: ground_truth(...) rows (activity_id = vendor id, workout_id); recordings: external_id, activity_id
    (the merge's canonical id) for source 'synthetic'. Every truth recording must be in the warehouse."""
    truth_ids = truth.select(external_id=pl.col("activity_id").cast(pl.String), workout_id="workout_id")
    joined = truth_ids.join(recordings.select("external_id", "activity_id"), on="external_id", how="left")
    missing = joined.filter(pl.col("activity_id").is_null()).height
    if missing:
        raise ValueError(f"{missing} ground-truth recordings are missing from openfit.activity_recordings")
    true_pairs = _same_group_pairs(joined, "workout_id")
    predicted = _same_group_pairs(joined, "activity_id")
    correct = true_pairs.join(predicted, on=["a", "b"], how="inner")
    return PairScores(true_pairs.height, predicted.height, correct.height)


def synthetic_recordings(con) -> pl.DataFrame:
    """external_id -> activity_id of the synthetic recordings in an openfit connection (warehouse or snapshot)."""
    return con.execute(
        "select external_id, activity_id from openfit.activity_recordings where source = 'synthetic'"
    ).pl()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_cohort_arguments(parser, athletes=3, days=120)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="openfit-merge-bench-"))
    os.environ.update(cohort_env(home, args.athletes, args.days, args.seed, args.end_date))
    import openfit  # noqa: F401
    from ingestion.sources.synthetic import ground_truth
    from openfit.settings import get_settings
    from orchestration.build import run_build
    from query.snapshot import snapshot_connection

    settings = get_settings()
    report = run_build(settings)
    if not report.success:
        raise SystemExit(f"build failed: {report.failure}")

    started = time.perf_counter()
    truth = ground_truth(args.athletes, args.days, args.seed, date.fromisoformat(args.end_date))
    with snapshot_connection(settings) as con:
        recordings = synthetic_recordings(con)
    overall = pair_scores(truth, recordings)
    rows = [("all", overall)]
    for tag in ("multi_device", "split_file", "clock_skew", "near_simultaneous", "back_to_back"):
        tagged = truth.filter(pl.col("tags").str.contains(tag))
        if tagged.height:
            rows.append((tag, pair_scores(tagged, recordings)))
    seconds = time.perf_counter() - started

    print(f"{'cases':<18} {'true pairs':>10} {'merged':>8} {'correct':>8} {'precision':>9} {'recall':>7}")
    for name, s in rows:
        print(
            f"{name:<18} {s.true_pairs:>10} {s.predicted_pairs:>8} {s.correct_pairs:>8} "
            f"{s.precision:>9.4f} {s.recall:>7.4f}"
        )
    print(f"recordings {truth.height}, workouts {truth['workout_id'].n_unique()}, target >= {TARGET}")
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    print(
        json.dumps(
            {
                "benchmark": "merge_quality",
                "pairs": overall.true_pairs,
                "precision": round(overall.precision, 4),
                "recall": round(overall.recall, 4),
                "seconds": round(seconds, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
