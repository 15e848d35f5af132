"""Measure the synthetic generator (and optionally the dlt load): ``python -m ingestion.sources.synthetic``.

    uv run python -m ingestion.sources.synthetic --athletes 3 --days 365            # generation only
    uv run python -m ingestion.sources.synthetic --athletes 3 --days 365 --load     # + dlt into a temp DuckDB

Prints rows per table, then one JSON line: samples = rows of the Arrow series (activity_streams + sleep_levels +
intraday); rates are samples per second of wall time and of this process's CPU time (the latter is the figure to
trust on a busy machine).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from datetime import date, timedelta

from .generate import TABLES, chunk_bounds, generate_chunk, static_tables


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate_only(athletes: int, days: int, seed: int, end: date) -> dict[str, int]:
    rows = dict.fromkeys(TABLES, 0)
    first = end - timedelta(days=days - 1)
    for table, items in static_tables(seed, list(range(athletes)), first, end).items():
        rows[table] += len(items)
    for k in range(athletes):
        for lo, hi in chunk_bounds(first, end):
            chunk = generate_chunk(seed, k, lo, hi)
            for table, items in chunk.rows.items():
                rows[table] += len(items)
            for table, tbl in chunk.arrow.items():
                rows[table] += tbl.num_rows
    return rows


def load(athletes: int, days: int, seed: int, end: date, home: str) -> dict[str, int]:
    os.environ["OPENFIT_HOME"] = home
    import duckdb

    from ingestion.pipelines import provider_pipeline
    from openfit.settings import get_settings

    from .source import synthetic_source

    get_settings.cache_clear()
    settings = get_settings()
    pipeline = provider_pipeline("synthetic", settings)
    pipeline.run(synthetic_source(athletes=athletes, days=days, seed=seed, end_date=end))
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return {t: con.execute(f"select count(*) from raw_synthetic.{t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


def main() -> None:
    import openfit  # noqa: F401  (telemetry off)

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--athletes", type=int, default=3)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", type=date.fromisoformat, default=date(2026, 6, 30))
    parser.add_argument(
        "--load", action="store_true", help="also load through dlt into a temporary DuckDB file"
    )
    args = parser.parse_args()

    started, cpu_started = time.perf_counter(), time.process_time()
    if args.load:
        with tempfile.TemporaryDirectory(prefix="openfit-synthetic-") as home:
            rows = load(args.athletes, args.days, args.seed, args.end_date, home)
    else:
        rows = generate_only(args.athletes, args.days, args.seed, args.end_date)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    samples = rows["activity_streams"] + rows["sleep_levels"] + rows["intraday"]
    width = max(map(len, rows))
    for table, count in rows.items():
        print(f"{table:<{width}}  {count:>12,}")
    print(f"{'seconds (wall)':<{width}}  {seconds:>12.2f}")
    print(f"{'seconds (cpu)':<{width}}  {cpu_seconds:>12.2f}")
    print(
        json.dumps(
            {
                "benchmark": "synthetic_load" if args.load else "synthetic_generate",
                "athletes": args.athletes,
                "days": args.days,
                "samples": samples,
                "rows": sum(rows.values()),
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu_seconds, 2),
                "samples_per_s": round(samples / seconds),
                "samples_per_cpu_s": round(samples / cpu_seconds),
                "peak_rss_mb": round(_peak_rss_mb()),
            }
        )
    )


if __name__ == "__main__":
    main()
