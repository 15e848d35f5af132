"""Benchmark the incremental warehouse: what one new day, one new file or one new FTP costs on a built history.

    uv run python benchmarks/incremental.py                       # 1 x 730 and 20 x 730
    uv run python benchmarks/incremental.py --cohorts 1x60,3x60   # a quick look

For each cohort: a full build (the anchor, printed beside the increments), then three increments, each timed
from its start to the published snapshot:
  (a) new day    one more synthetic day for one athlete (the synthetic source extracts only that athlete),
                 then the transform-and-publish job;
  (b) new file   `openfit import`'s path: one new FIT file (a generated 1-hour ride) decoded, loaded, built
                 and published;
  (c) new FTP    a new athlete_profiles row for one athlete (FTP +10 W, in force from 60 days before the end),
                 as a provider would report it, then the transform-and-publish job.
  (d) nothing new (a)'s sync run again, which finds nothing new, then the transform-and-publish job (what an
                 hourly schedule costs on a quiet day).
Prints a table with seconds (and per stage: load, transform, publish, the Dagster run's overhead), what dbt ran
(nodes and seconds per type, the slowest five), the rows rewritten per published table
(meta.table_rows.rows_written), then a
last line of JSON. Targets on the 2-core machine: (a), (b) <= 10 s on 20 x 730 and within 1.5x of 1 x 730;
(c) <= 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "ingestion" / "files"))  # fit_samples: the tests' FIT generator

from cohort import cohort_env  # noqa: E402  (this folder's helper)

TARGET_INCREMENT_S = 10.0
TARGET_FTP_S = 30.0
FLAT_RATIO = 1.5
STEPS = ("new_day", "new_file", "new_ftp", "nothing_new")


def _rows_written(settings) -> dict[str, int]:
    import duckdb

    with duckdb.connect(str(settings.snapshot_path), read_only=True) as con:
        rows = con.execute(
            "select table_name, rows_written from meta.table_rows where rows_written > 0"
        ).fetchall()
    return dict(sorted(rows))


def _dbt_time(settings) -> dict:
    """What the last build's dbt run did: nodes and seconds per type (models, tests), the slowest five
    (orchestration/incremental.py keeps them in openfit_state.build_nodes)."""
    import duckdb

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select unique_id, seconds from openfit_state.build_nodes "
            "where seq = (select max(seq) from openfit_state.builds)"
        ).fetchall()
    summary: dict = {}
    for unique_id, seconds in rows:
        kind = unique_id.split(".", 1)[0]
        summary[f"{kind}s"] = summary.get(f"{kind}s", 0) + 1
        summary[f"{kind}_s"] = round(summary.get(f"{kind}_s", 0.0) + seconds, 2)
    slowest = sorted(rows, key=lambda row: -row[1])[:5]
    summary["slowest"] = [f"{unique_id.split('.')[2]} {seconds:.2f}" for unique_id, seconds in slowest]
    return summary


def _transform_and_publish(settings) -> dict[str, float]:
    """Runs the job; returns its seconds per stage (transform, publish) and the Dagster run's own overhead."""
    from orchestration.build import run_build
    from orchestration.defs import TRANSFORM_JOB

    report = run_build(settings, job_name=TRANSFORM_JOB)
    if not report.success:
        raise SystemExit(f"build failed: {report.failure}")
    stages = {stage: report.seconds_by_stage[stage] for stage in ("transform", "publish")}
    stages["run_overhead"] = round(report.seconds_total - sum(report.seconds_by_stage.values()), 2)
    return stages


def _new_day(settings, athletes: int, days: int, seed: int, end: date) -> dict:
    """One more day for athlete 0 only (window start unchanged), through the synthetic dlt pipeline. Run twice,
    the second run finds nothing new."""
    from ingestion.pipelines import provider_pipeline
    from ingestion.sources.synthetic import synthetic_source

    source = synthetic_source(
        athletes=athletes, days=days + 1, seed=seed, end_date=end + timedelta(days=1), only_athletes=[0]
    )
    started = time.perf_counter()
    provider_pipeline("synthetic", settings).run(source).raise_on_failed_jobs()
    return {"load": round(time.perf_counter() - started, 2), **_transform_and_publish(settings)}


def _new_file(settings, workdir: Path) -> dict:
    import fit_samples
    from fit_tool.profile.profile_type import Manufacturer

    from ingestion.files.importer import import_paths

    path = workdir / "new-ride.fit"
    path.write_bytes(fit_samples.activity(n=3600, manufacturer=Manufacturer.WAHOO_FITNESS.value, serial=4242))
    started = time.perf_counter()
    summary = import_paths([path], settings)
    if summary.imported != 1:
        raise SystemExit(f"the FIT file did not import: {summary.top_reasons()}")
    return {"load": round(time.perf_counter() - started, 2), **_transform_and_publish(settings)}


def _new_ftp(settings, days: int, seed: int, end: date) -> dict:
    """athlete 0 reports FTP + 10 W from 60 days before the end: the provider's profile endpoint, one row."""
    import dataclasses
    from datetime import UTC, datetime

    import dlt

    from ingestion.pipelines import provider_pipeline
    from ingestion.sources.synthetic.generate import make_athlete, profile_row, profiles_for_window
    from ingestion.sources.synthetic.source import JSON_TABLES

    athlete = make_athlete(seed, 0)
    latest = profiles_for_window(seed, athlete, end - timedelta(days=days - 1), end)[-1]
    changed = dataclasses.replace(latest, effective_from=end - timedelta(days=60), ftp_w=latest.ftp_w + 10)
    resource = dlt.resource(
        [profile_row(changed, datetime.now(UTC))],
        name="athlete_profiles",
        write_disposition="merge",
        primary_key=JSON_TABLES["athlete_profiles"],
        columns={
            "payload": {"data_type": "json"},
            "_fetched_at": {"data_type": "timestamp"},
        },  # as the source's
    )
    started = time.perf_counter()
    provider_pipeline("synthetic", settings).run(resource).raise_on_failed_jobs()
    return {"load": round(time.perf_counter() - started, 2), **_transform_and_publish(settings)}


def _run_cohort(athletes: int, days: int, seed: int, end: date, keep: bool) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"openfit-incr-{athletes}x{days}-"))
    os.environ.update(cohort_env(home, athletes, days, seed, end.isoformat()))
    import openfit  # noqa: F401  (telemetry off)
    from openfit.settings import get_settings
    from orchestration.build import run_build

    get_settings.cache_clear()
    settings = get_settings()
    started = time.perf_counter()
    report = run_build(settings)
    if not report.success:
        raise SystemExit(f"full build failed: {report.failure}")
    result = {"cohort": f"{athletes}x{days}", "full_build_s": round(time.perf_counter() - started, 1)}
    for name, step in (
        ("new_day", lambda: _new_day(settings, athletes, days, seed, end)),
        ("new_file", lambda: _new_file(settings, home)),
        ("new_ftp", lambda: _new_ftp(settings, days, seed, end)),
        ("nothing_new", lambda: _new_day(settings, athletes, days, seed, end)),
    ):
        started = time.perf_counter()
        result[f"{name}_stages_s"] = step()
        result[f"{name}_s"] = round(time.perf_counter() - started, 2)
        result[f"{name}_rows_written"] = _rows_written(settings)
        result[f"{name}_dbt"] = _dbt_time(settings)
    if not keep:
        shutil.rmtree(home, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohorts", default="1x730,20x730", help="comma-separated ATHLETESxDAYS")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", default="2026-06-30")
    parser.add_argument("--keep", action="store_true", help="keep the temp homes")
    args = parser.parse_args()
    end = date.fromisoformat(args.end_date)
    results = []
    for spec in args.cohorts.split(","):
        athletes, days = (int(x) for x in spec.lower().split("x"))
        results.append(_run_cohort(athletes, days, args.seed, end, args.keep))

    print(f"{'':<30}" + "".join(f"{r['cohort']:>14}" for r in results))
    for key in ("full_build_s", "new_day_s", "new_file_s", "new_ftp_s", "nothing_new_s"):
        print(f"{key:<30}" + "".join(f"{r[key]:>14}" for r in results))
    for step in STEPS:
        for r in results:
            stages = ", ".join(f"{stage} {seconds}" for stage, seconds in r[f"{step}_stages_s"].items())
            print(f"seconds by stage, {step}, {r['cohort']}: {stages}")
    for step in STEPS:
        for r in results:
            print(f"dbt, {step}, {r['cohort']}: {r[f'{step}_dbt']}")
    for step in STEPS:
        for r in results:
            written = ", ".join(f"{t} {n:,}" for t, n in r[f"{step}_rows_written"].items())
            print(f"rows written, {step}, {r['cohort']}: {written}")
    small, large = results[0], results[-1]
    verdicts = {}
    for step, target in (
        ("new_day", TARGET_INCREMENT_S),
        ("new_file", TARGET_INCREMENT_S),
        ("new_ftp", TARGET_FTP_S),
    ):
        seconds = large[f"{step}_s"]
        ratio = seconds / small[f"{step}_s"] if small[f"{step}_s"] else float("inf")
        meets = seconds <= target and (step == "new_ftp" or ratio <= FLAT_RATIO)
        verdicts[step] = {
            "seconds": seconds,
            "target_s": target,
            "ratio_to_smallest": round(ratio, 2),
            "meets": meets,
        }
        print(
            f"{step:<10} {large['cohort']}: {seconds:.1f} s (target <= {target:.0f} s), "
            f"x{ratio:.2f} of {small['cohort']} -> {'meets' if meets else 'MISSES'}"
        )
    print(json.dumps({"benchmark": "incremental", "results": results, "verdicts": verdicts}))


if __name__ == "__main__":
    main()
