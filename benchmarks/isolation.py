"""Benchmark isolation: one athlete's bad files cost only that athlete's new data, never everyone's publish.

    uv run python benchmarks/isolation.py            # 2 synthetic athletes x 30 days, plus the files' owner

On a built home (the anchor: the full build's seconds), two increments, each timed to the published snapshot:
  (1) the overlapping pair: the same activity from the same device exported twice under different names with
      different bytes (they once made every later build fail its unique test, for every athlete). They must
      merge into one published activity.
  (2) bad input beside good: a FIT file from a watch whose clock says 2031 for the files' owner, and one more
      synthetic day for another athlete, in one build. The other athlete's new day must be published and
      queryable; the files' owner is withheld (their rows as last published) and named with the failing tests.
Prints a table and a last line of JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "ingestion" / "files"))  # fit_samples: the tests' FIT generator

from cohort import add_cohort_arguments, cohort_env  # noqa: E402  (this folder's helper)

OWNER = "files:owner"


def _published(settings, sql: str, params: list | None = None) -> list[tuple]:
    from query.snapshot import snapshot_connection

    with snapshot_connection(settings) as con:
        return con.execute(sql, params or []).fetchall()


def _transform_and_publish(settings) -> float:
    from orchestration.build import run_build
    from orchestration.defs import TRANSFORM_JOB

    started = time.perf_counter()
    report = run_build(settings, job_name=TRANSFORM_JOB)
    if not report.success:
        raise SystemExit(f"build failed: {report.failure}")
    return round(time.perf_counter() - started, 2)


def _import(settings, paths: list[Path]) -> None:
    from ingestion.files.importer import import_paths

    summary = import_paths(paths, settings, workers=1)
    if summary.imported != len(paths):
        raise SystemExit(f"not every file imported: {summary.top_reasons()}")


def _overlapping_pair(settings, workdir: Path) -> dict:
    import fit_samples

    first, second = workdir / "morning-run.fit", workdir / "morning-run (export).fit"
    first.write_bytes(fit_samples.activity(n=1800))
    second.write_bytes(
        fit_samples.activity(n=1800, developer_field=True)
    )  # same device and time, other bytes
    started = time.perf_counter()
    _import(settings, [first, second])
    _transform_and_publish(settings)
    seconds = round(time.perf_counter() - started, 2)
    activities = _published(
        settings, "select count(*) from openfit.activities where athlete_id = ?", [OWNER]
    )[0][0]
    duplicates = _published(
        settings,
        "select count(*) from (select activity_id, ts from openfit.activity_samples "
        "group by all having count(*) > 1)",
    )[0][0]
    return {"seconds": seconds, "published_activities": activities, "duplicate_sample_keys": duplicates}


def _bad_beside_good(settings, args, workdir: Path) -> dict:
    import fit_samples

    from ingestion.pipelines import provider_pipeline
    from ingestion.sources.synthetic import synthetic_source

    future = datetime(2031, 5, 1, 6, 0, tzinfo=UTC)  # the generator reads its start from these module globals
    fit_samples.START, fit_samples.START_MS = future, int(future.timestamp()) * 1000
    clock_wrong = workdir / "watch-clock-2031.fit"
    clock_wrong.write_bytes(fit_samples.activity(n=600, serial=0x2031))
    end = date.fromisoformat(args.end_date)
    new_day = end + timedelta(days=1)
    before = dict(_published(settings, "select athlete_id, count(*) from openfit.activities group by 1"))

    started = time.perf_counter()
    _import(settings, [clock_wrong])
    source = synthetic_source(
        athletes=args.athletes, days=args.days + 1, seed=args.seed, end_date=new_day, only_athletes=[1]
    )
    provider_pipeline("synthetic", settings).run(source).raise_on_failed_jobs()
    _transform_and_publish(settings)
    seconds = round(time.perf_counter() - started, 2)

    other = _published(settings, "select athlete_id from openfit.athletes order by 1")[1][0]
    new_rows = _published(
        settings,
        "select count(*) from openfit.wellness_daily where athlete_id = ? and date = ?",
        [other, new_day],
    )[0][0]
    withheld = [
        {"athlete_id": a, "test": t, "failing_rows": n}
        for a, t, n in _published(
            settings, "select athlete_id, test, failing_rows from meta.withheld order by all"
        )
    ]
    after = dict(_published(settings, "select athlete_id, count(*) from openfit.activities group by 1"))
    return {
        "seconds": seconds,
        "other_athlete": other,
        "other_athlete_new_day_rows": new_rows,
        "withheld": withheld,
        "owner_activities_before_after": [before.get(OWNER, 0), after.get(OWNER, 0)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_cohort_arguments(parser, athletes=2, days=30)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="openfit-isolation-"))
    os.environ.update(cohort_env(home, args.athletes, args.days, args.seed, args.end_date))
    import openfit  # noqa: F401  (telemetry off)
    from openfit.settings import get_settings
    from orchestration.build import run_build

    get_settings.cache_clear()
    settings = get_settings()
    started = time.perf_counter()
    report = run_build(settings)
    if not report.success:
        raise SystemExit(f"full build failed: {report.failure}")
    anchor = round(time.perf_counter() - started, 1)
    pair = _overlapping_pair(settings, home)
    mixed = _bad_beside_good(settings, args, home)
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)

    isolated = (
        pair["published_activities"] == 1
        and pair["duplicate_sample_keys"] == 0
        and mixed["other_athlete_new_day_rows"] > 0
        and {w["athlete_id"] for w in mixed["withheld"]} == {OWNER}
        and mixed["owner_activities_before_after"][0] == mixed["owner_activities_before_after"][1]
    )
    print(f"{'step':<44} {'seconds':>8}  result")
    print(f"{'full build (anchor), ' + f'{args.athletes}x{args.days}':<44} {anchor:>8}")
    print(
        f"{'(1) overlapping pair from one device':<44} {pair['seconds']:>8}  "
        f"{pair['published_activities']} activity, {pair['duplicate_sample_keys']} duplicate sample keys"
    )
    print(
        f"{'(2) 2031 file (owner) + new day (other)':<44} {mixed['seconds']:>8}  "
        f"{mixed['other_athlete']}: {mixed['other_athlete_new_day_rows']} new-day row(s) "
        f"published; withheld: {', '.join(sorted({w['athlete_id'] for w in mixed['withheld']})) or 'nobody'}"
    )
    for w in mixed["withheld"]:
        print(f"{'':<44} {'':>8}  {w['athlete_id']}: {w['test']} ({w['failing_rows']} failing rows)")
    print(f"isolated: {'yes' if isolated else 'NO'}")
    print(
        json.dumps(
            {
                "benchmark": "isolation",
                "cohort": f"{args.athletes}x{args.days}",
                "full_build_s": anchor,
                "overlapping_pair": pair,
                "bad_beside_good": mixed,
                "isolated": isolated,
            }
        )
    )


if __name__ == "__main__":
    main()
