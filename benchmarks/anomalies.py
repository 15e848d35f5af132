"""Benchmark the anomaly flags against the synthetic cohort's labelled events, per event kind.

    uv run python benchmarks/anomalies.py --athletes 20 --days 730      # the acceptance cohort (a long build)
    uv run python benchmarks/anomalies.py --athletes 2 --days 365       # a quick check
    uv run python benchmarks/anomalies.py --home ~/.openfit             # score an already built home instead

Builds a fresh synthetic cohort (dlt -> dbt -> publish) unless --home is given, then compares marts.anomalies with
`event_truth(...)`: illness episodes (resting HR up, HRV down for 3-6 days), overreaching blocks (the same,
milder, building over 7-14 days) and sleep restriction (3-7 nights 1.5-3 h short), injected into the daily
physiology and sleep. Event-level scoring, per event kind and each flag kind that should catch it:
- an alert = a run of consecutive days flagged with that kind for one athlete;
- an event is detected when an alert overlaps [start, end + LAG_DAYS] (the HRV 7-day mean and the 2-day rule
  need a day or two to agree);
- precision = alerts overlapping an event of the kind / alerts that overlap no event of another kind (an alert
  explained by another labelled event is neither right nor a false alarm for this kind);
- recall = detected events / events;
- false alarms per athlete-month = alerts overlapping no labelled event of any kind / (athletes × days / 30.44).
Prints a table, then a last line of JSON (per event kind, its primary flag kind). Targets: precision >= 0.9,
recall >= 0.9, <= 1 false alarm per athlete-month.
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
# Event kind in the ground truth -> the flag kinds scored against it (the primary detector first).
DETECTORS = {
    "illness": ("illness_or_overreaching", "resting_hr_elevated", "hrv_below_swc"),
    "overreaching": ("illness_or_overreaching", "hrv_below_swc", "resting_hr_elevated"),
    "sleep_restriction": ("sleep_short",),
}


@dataclass(frozen=True)
class Score:
    event_kind: str
    flag_kind: str
    episodes: int
    detected: int
    alerts: int
    true_alerts: int
    other_event_alerts: int  # alerts overlapping only events of another kind
    false_alarms: int  # alerts overlapping no labelled event at all
    athlete_months: float

    @property
    def precision(self) -> float:
        judged = self.alerts - self.other_event_alerts
        return self.true_alerts / judged if judged else 1.0

    @property
    def recall(self) -> float:
        return self.detected / self.episodes if self.episodes else 1.0

    @property
    def false_alarms_per_athlete_month(self) -> float:
        return self.false_alarms / self.athlete_months if self.athlete_months else 0.0


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


def _overlapping(found: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """(alert, event) pairs of one athlete where the alert overlaps [start, end + LAG_DAYS]."""
    windows = events.with_columns(window_last=pl.col("end_date") + timedelta(days=LAG_DAYS))
    return found.join(windows, on="athlete_id", how="inner").filter(
        (pl.col("first") <= pl.col("window_last")) & (pl.col("last") >= pl.col("start_date"))
    )


def score(
    event_kind: str, flag_kind: str, truth: pl.DataFrame, flags: pl.DataFrame, athlete_months: float
) -> Score:
    """Event-level precision, recall and false alarms of one flag kind against one kind of labelled event."""
    events = truth.filter(pl.col("kind") == event_kind)
    found = alerts(flags.filter(pl.col("kind") == flag_kind))
    pairs = _overlapping(found, events)
    true_alerts = pairs.select("athlete_id", "first").unique()
    detected = pairs.select("athlete_id", "start_date").unique().height
    explained = _overlapping(found, truth).select("athlete_id", "first").unique()
    other = explained.join(true_alerts, on=["athlete_id", "first"], how="anti").height
    return Score(
        event_kind,
        flag_kind,
        events.height,
        detected,
        found.height,
        true_alerts.height,
        other,
        found.height - explained.height,
        athlete_months,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_cohort_arguments(parser, athletes=20, days=730)
    parser.add_argument("--home", help="score this already built home (its synthetic settings must match)")
    args = parser.parse_args()

    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="openfit-anomaly-bench-"))
    os.environ.update(cohort_env(home, args.athletes, args.days, args.seed, args.end_date))
    import openfit  # noqa: F401
    from ingestion.sources.synthetic import event_truth
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

    truth = event_truth(args.athletes, args.days, args.seed, date.fromisoformat(args.end_date))
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
        f"{'event':<18} {'flag kind':<24} {'events':>6} {'detected':>8} {'alerts':>6} {'other':>5} "
        f"{'false':>5} {'precision':>9} {'recall':>7} {'false/ath-month':>15}"
    )
    for s in scores:
        print(
            f"{s.event_kind:<18} {s.flag_kind:<24} {s.episodes:>6} {s.detected:>8} {s.alerts:>6} "
            f"{s.other_event_alerts:>5} {s.false_alarms:>5} {s.precision:>9.3f} {s.recall:>7.3f} "
            f"{s.false_alarms_per_athlete_month:>15.3f}"
        )
    print(
        f"{args.athletes} athletes x {args.days} days, {athlete_months:.1f} athlete-months; other = alerts "
        "explained by another kind of event, false = alerts near no labelled event; targets: precision >= 0.9, "
        "recall >= 0.9, <= 1 false alarm per athlete-month (primary flag kind of each event kind)"
    )
    if not args.home and not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    primary = {event: next(s for s in scores if s.event_kind == event) for event in DETECTORS}
    print(json.dumps({
        "benchmark": "anomalies",
        "athletes": args.athletes,
        "days": args.days,
        "by_event_kind": {
            event: {
                "flag_kind": s.flag_kind,
                "events": s.episodes,
                "precision": round(s.precision, 4),
                "recall": round(s.recall, 4),
                "false_alarms_per_athlete_month": round(s.false_alarms_per_athlete_month, 4),
            }
            for event, s in primary.items()
        },
        "build_seconds": round(build_s, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
