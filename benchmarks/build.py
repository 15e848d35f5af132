"""Benchmark the spine: build a fresh warehouse from the synthetic cohort end to end (dlt -> dbt -> publish).

    uv run python benchmarks/build.py --athletes 20 --days 730

Prints a table, then a last line of JSON. Target: >= 250,000 samples/s end to end on this 2-core machine,
memory bounded by a batch (peak RSS is printed for this process and for dbt's child process).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
from pathlib import Path

from cohort import add_cohort_arguments, cohort_env  # this folder's helper

TARGET_SAMPLES_PER_S = 250_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_cohort_arguments(parser, athletes=20, days=730)
    parser.add_argument("--home", default=None, help="OPENFIT_HOME to build into (default: a fresh temp dir)")
    args = parser.parse_args()

    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="openfit-bench-"))
    if home.exists() and any(home.iterdir()):
        raise SystemExit(f"{home} is not empty: the benchmark builds a fresh warehouse")
    os.environ.update(cohort_env(home, args.athletes, args.days, args.seed, args.end_date))
    import openfit  # noqa: F401
    from openfit.settings import get_settings
    from orchestration.build import run_build
    from query.snapshot import snapshot_connection

    settings = get_settings()
    report = run_build(settings)
    if not report.success:
        raise SystemExit(f"build failed: {report.failure}")
    with snapshot_connection(settings) as con:
        samples = con.execute("select count(*) from openfit.activity_samples").fetchone()[0]
        activities = con.execute("select count(*) from openfit.activities").fetchone()[0]

    peak_self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    stages = report.seconds_by_stage
    rate = samples / report.seconds_total
    print(f"{'cohort':<28}{args.athletes} athletes x {args.days} days (seed {args.seed})")
    print(f"{'activities':<28}{activities:,}")
    print(f"{'samples':<28}{samples:,}")
    for stage in ("ingest", "transform", "publish"):
        print(f"{'seconds ' + stage:<28}{stages.get(stage, 0):.1f}")
    print(f"{'seconds total':<28}{report.seconds_total:.1f}")
    print(
        f"{'samples/s (end to end)':<28}{rate:,.0f}   target {TARGET_SAMPLES_PER_S:,}  "
        f"({'meets' if rate >= TARGET_SAMPLES_PER_S else 'MISSES'} target, x{rate / TARGET_SAMPLES_PER_S:.2f})"
    )
    print(f"{'peak RSS MB (self/dbt)':<28}{peak_self_mb:.0f} / {peak_child_mb:.0f}")
    print(
        json.dumps(
            {
                "benchmark": "build",
                "athletes": args.athletes,
                "days": args.days,
                "samples": samples,
                "seconds_total": round(report.seconds_total, 2),
                "seconds_ingest": round(stages.get("ingest", 0), 2),
                "seconds_transform": round(stages.get("transform", 0), 2),
                "seconds_publish": round(stages.get("publish", 0), 2),
                "samples_per_s": round(rate),
                "peak_rss_mb": round(max(peak_self_mb, peak_child_mb)),
            }
        )
    )
    if not args.home and not args.keep:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
