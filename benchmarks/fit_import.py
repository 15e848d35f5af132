"""FIT import benchmark: fitparse (the baseline and oracle) against the project's decoder on the same files.

    uv run python benchmarks/fit_import.py --corpus ../shared/fixtures/fit

Decodes every ``*.fit`` under the corpus with fitparse (all messages, single process, as the importers people
use today do), then with the project's decoder as the importer runs it: the isolated worker pool (both
cores), with the pool's one-time start (forkserver + decoder imports) reported on its own line and excluded
from ``decode_s``. Also reports the single-process in-process decode for reference. ``end_to_end_*`` time
``import_paths`` on a fresh temporary home (walk, blob store, isolated decode, dlt load into ``raw_files``,
pool start included); dbt staging of ``raw_files`` is not part of it yet (no ``stg_fit__*`` models exist).

Prints a table, then a last JSON line:
{"benchmark": "fit_import", "files", "mb", "records", "fitparse_s", "decode_s", "decode_ratio",
 "end_to_end_s", "end_to_end_records_per_s"}
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openfit  # noqa: E402,F401  (telemetry off)
from ingestion.files.decode import decode_path  # noqa: E402
from ingestion.files.workers import DecodeJob, IsolatedDecoder  # noqa: E402


def _fitparse_all(paths: list[Path]) -> tuple[float, int, int]:
    import fitparse

    records = failures = 0
    started = time.perf_counter()
    for path in paths:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                messages = list(fitparse.FitFile(str(path)).get_messages())
            records += sum(1 for m in messages if m.name == "record")
        except Exception:
            failures += 1
    return time.perf_counter() - started, records, failures


def _end_to_end(paths: list[Path], workers: int) -> tuple[float, int]:
    """The whole import (walk, blob store, isolated decode, dlt load) into a fresh temporary home."""
    import tempfile

    from ingestion.files.importer import import_paths
    from openfit.settings import Settings

    with tempfile.TemporaryDirectory(prefix="openfit-bench-") as home:
        os.environ["OPENFIT_HOME"] = home
        settings = Settings()
        started = time.perf_counter()
        summary = import_paths(paths, settings, workers=workers)
        elapsed = time.perf_counter() - started
    return elapsed, summary.records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--corpus", required=True, type=Path, help="folder of FIT files (searched recursively)"
    )
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--skip-fitparse", action="store_true", help="only time the project's decoder")
    parser.add_argument("--skip-end-to-end", action="store_true", help="skip the full import on a fresh home")
    args = parser.parse_args(argv)

    paths = sorted(p for p in args.corpus.rglob("*") if p.is_file() and p.suffix.lower() == ".fit")
    if not paths:
        print(f"no .fit files under {args.corpus}", file=sys.stderr)
        return 2
    size_mb = sum(p.stat().st_size for p in paths) / 1e6

    started = time.perf_counter()
    in_process = [decode_path(p) for p in paths]
    in_process_s = time.perf_counter() - started  # includes first-call warm-up in this process

    started = time.perf_counter()
    pool = IsolatedDecoder(workers=args.workers)
    warm_job = DecodeJob("warm", str(paths[0]), paths[0].name)
    list(pool.decode([warm_job] * args.workers))  # start the forkserver and the workers
    pool_start_s = time.perf_counter() - started

    jobs = [DecodeJob(str(p), str(p), p.name) for p in paths]
    started = time.perf_counter()
    results = dict((job.key, result) for job, result in pool.decode(jobs))
    decode_s = time.perf_counter() - started
    pool.close()

    records = sum(r.record_count for r in results.values())
    statuses: dict[str, int] = {}
    for result in results.values():
        statuses[result.status] = statuses.get(result.status, 0) + 1
    assert sum(r.record_count for r in in_process) == records

    if args.skip_fitparse:
        fitparse_s, fitparse_records, fitparse_failures = None, None, None
    else:
        fitparse_s, fitparse_records, fitparse_failures = _fitparse_all(paths)

    ratio = round(fitparse_s / decode_s, 1) if fitparse_s else None

    end_to_end_s = end_to_end_records = None
    if not args.skip_end_to_end:
        end_to_end_s, end_to_end_records = _end_to_end(paths, args.workers)
    rows = [
        ("files", f"{len(paths)}"),
        ("size", f"{size_mb:.1f} MB"),
        ("our statuses", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))),
        ("our records", f"{records}"),
        ("fitparse records / failed files", f"{fitparse_records} / {fitparse_failures}"),
        (
            "fitparse, 1 process",
            f"{fitparse_s:.2f} s ({size_mb / fitparse_s:.2f} MB/s)" if fitparse_s else "skipped",
        ),
        ("ours, in-process, 1 core (cold)", f"{in_process_s:.2f} s ({size_mb / in_process_s:.1f} MB/s)"),
        (
            f"ours, isolated pool start ({args.workers} workers)",
            f"{pool_start_s:.2f} s (once per import run)",
        ),
        (f"ours, isolated pool, {args.workers} workers", f"{decode_s:.2f} s ({size_mb / decode_s:.1f} MB/s)"),
        ("decode ratio vs fitparse", f"{ratio}x" if ratio else "n/a"),
        (
            "end to end: import_paths on a fresh home",
            f"{end_to_end_s:.2f} s ({end_to_end_records / end_to_end_s:,.0f} records/s; decode + blob store + "
            "dlt load into raw_files; dbt staging not included)"
            if end_to_end_s
            else "skipped",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print(
        json.dumps(
            {
                "benchmark": "fit_import",
                "files": len(paths),
                "mb": round(size_mb, 2),
                "records": records,
                "fitparse_s": round(fitparse_s, 3) if fitparse_s else None,
                "decode_s": round(decode_s, 3),
                "decode_ratio": ratio,
                "end_to_end_s": round(end_to_end_s, 3) if end_to_end_s else None,
                "end_to_end_records_per_s": round(end_to_end_records / end_to_end_s)
                if end_to_end_s
                else None,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
