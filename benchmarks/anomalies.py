"""Benchmark the anomaly flags against the synthetic cohort's labelled illness episodes.

    uv run python benchmarks/anomalies.py --athletes 20 --days 730      # the acceptance cohort (a long build)
    uv run python benchmarks/anomalies.py --home ~/.openfit             # score an already built home instead

Builds a fresh synthetic cohort (dlt -> dbt -> publish) unless --home is given, then compares marts.anomalies with
`illness_truth(...)` (episodes of resting HR up and HRV down injected into the daily physiology).
Event-level scoring, per event kind with ground truth and the flag kind that should catch it:
- an alert = a run of consecutive days flagged with that kind for one athlete;
- an episode is detected when an alert overlaps [start, end + LAG_DAYS] (the HRV 7-day mean and the 2-day rule
  need a day or two to agree);
- precision = alerts overlapping an episode / alerts; recall = detected episodes / episodes;
- false alarms per athlete-month = alerts overlapping no episode / (athletes × days / 30.44).
Prints a table, then a last line of JSON. Targets: precision >= 0.9, recall >= 0.9, <= 1 false alarm per
athlete-month.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cohort import add_cohort_arguments, cohort_env  # noqa: E402  (this folder's helper)

LAG_DAYS = 2
DAYS_PER_MONTH = 30.44
# Event kind in the ground truth -> the flag kinds scored against it (the combined signal first).
DETECTORS = {"illness": ("illness_or_overreaching", "resting_hr_elevated", "hrv_below_swc")}


@dataclass(frozen=True)
class Score:
    event_kind: str
    flag_kind: str
    episodes: int
    detected: int
    alerts: int
    true_alerts: int
    athlete_months: float

    @property
    def precision(self) -> float:
        return self.true_alerts / self.alerts if self.alerts else 1.0

    @property
    def recall(self) -> float:
        return self.detected / self.episodes if self.episodes else 1.0

    @property
    def false_alarms_per_athlete_month(self) -> float:
        return (self.alerts - self.true_alerts) / self.athlete_months if self.athlete_months else 0.0


def alerts(flags: pl.DataFrame) -> pl.DataFrame:
    """Runs of consecutive flagged days per athlete: athlete_id, first, last."""
    if flags.height == 0:
        return pl.DataFrame(schema={"athlete_id": pl.String, "first": pl.Date, "last": pl.Date})
    days = flags.select("athlete_id", "date").unique().sort("athlete_id", "date")
    gap = (pl.col("date") - pl.col("date").shift(1).over("athlete_id")).dt.total_days()
    runs = days.with_columns(run=(gap.is_null() | (gap > 1)).cast(pl.Int32).cum_sum().over("athlete_id"))
    return (
        runs.group_by("athlete_id", "run")
        .agg(first=pl.col("date").min(), last=pl.col("date").max())
        .drop("run")
    )


def score(
    event_kind: str, flag_kind: str, truth: pl.DataFrame, flags: pl.DataFrame, athlete_months: float
) -> Score:
    """Event-level precision, recall and false alarms of one flag kind against one kind of labelled episode."""
    episodes = truth.filter(pl.col("kind") == event_kind).with_columns(
        window_last=pl.col("end_date") + timedelta(days=LAG_DAYS)
    )
    found = alerts(flags.filter(pl.col("kind") == flag_kind))
    pairs = found.join(episodes, on="athlete_id", how="inner").filter(
        (pl.col("first") <= pl.col("window_last")) & (pl.col("last") >= pl.col("start_date"))
    )
    true_alerts = pairs.select("athlete_id", "first").unique().height
    detected = pairs.select("athlete_id", "start_date").unique().height
    return Score(event_kind, flag_kind, episodes.height, detected, found.height, true_alerts, athlete_months)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_cohort_arguments(parser, athletes=20, days=730)
    parser.add_argument("--home", help="score this already built home (its synthetic settings must match)")
    args = parser.parse_args()

    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="openfit-anomaly-bench-"))
    os.environ.update(cohort_env(home, args.athletes, args.days, args.seed, args.end_date))
    import openfit  # noqa: F401
    from ingestion.sources.synthetic import illness_truth
    from openfit.settings import get_settings
    from orchestration.build import run_build
    from query.snapshot import snapshot_connection

    settings = get_settings()
    build_s = 0.0
    if not args.home:
        started = time.perf_counter()
        report = run_build(settings)
        if not report.success:
            raise SystemExit(f"build failed: {report.failure}")
        build_s = time.perf_counter() - started

    truth = illness_truth(args.athletes, args.days, args.seed, date.fromisoformat(args.end_date))
    with snapshot_connection(settings) as con:
        flags = con.execute(
            "select a.athlete_id, a.date, a.kind from marts.anomalies a "
            "join openfit.athletes using (athlete_id)"
        ).pl()
    athlete_months = args.athletes * args.days / DAYS_PER_MONTH
    scores = [
        score(event, flag, truth, flags, athlete_months)
        for event, kinds in DETECTORS.items()
        for flag in kinds
    ]

    print(
        f"{'event':<8} {'flag kind':<24} {'episodes':>8} {'detected':>8} {'alerts':>7} {'precision':>9} "
        f"{'recall':>7} {'false/ath-month':>15}"
    )
    for s in scores:
        print(
            f"{s.event_kind:<8} {s.flag_kind:<24} {s.episodes:>8} {s.detected:>8} {s.alerts:>7} "
            f"{s.precision:>9.3f} {s.recall:>7.3f} {s.false_alarms_per_athlete_month:>15.3f}"
        )
    print(
        f"{args.athletes} athletes x {args.days} days, {athlete_months:.1f} athlete-months; "
        "targets: precision >= 0.9, recall >= 0.9, <= 1 false alarm per athlete-month (combined signal)"
    )
    if not args.home and not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    main_score = scores[0]
    print(json.dumps({
        "benchmark": "anomalies",
        "athletes": args.athletes,
        "days": args.days,
        "episodes": main_score.episodes,
        "precision": round(main_score.precision, 4),
        "recall": round(main_score.recall, 4),
        "false_alarms_per_athlete_month": round(main_score.false_alarms_per_athlete_month, 4),
        "build_seconds": round(build_s, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
