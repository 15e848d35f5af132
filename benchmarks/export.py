"""Account export: time, archive size and peak memory of a full (admin) export of a built home.

    uv run python benchmarks/export.py --home $OPENFIT_HOME

Streams /v1/export's generator (query.export.stream_export) to a temporary file, then verifies it.
The anchor printed beside it is the rows of the largest table: peak memory should not grow with it, because
Parquet and JSON Lines go out batch by batch (query/export.py PARQUET_BATCH_ROWS, BATCH_ROWS).
The last line is JSON: {"benchmark": "export", "seconds", "archive_mb", "peak_rss_mb", "rows", "largest_table_rows"}.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, required=True, help="a built OPENFIT_HOME (snapshot published)")
    args = parser.parse_args()
    os.environ["OPENFIT_HOME"] = str(args.home)

    import openfit  # noqa: F401  (telemetry off)
    from openfit.settings import get_settings
    from query.export import stream_export, verify_export
    from query.scope import AthleteScope
    from query.snapshot import SnapshotReader

    settings = get_settings()
    raw = SnapshotReader(settings.raw_payloads_path) if settings.raw_payloads_path.exists() else None
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "export.zip"
        started = time.perf_counter()
        with archive.open("wb") as out:
            for chunk in stream_export(
                SnapshotReader(settings.snapshot_path), AthleteScope.everyone(), settings.blob_dir, raw
            ):
                out.write(chunk)
        seconds = time.perf_counter() - started
        peak_rss_mb = (
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        )  # the export's, not the check's
        size_mb = archive.stat().st_size / 1e6
        manifest = verify_export(archive)
    tables = [f for f in manifest["files"] if f["path"].endswith(".parquet")]
    rows = sum(f["rows"] for f in tables)
    largest = max(tables, key=lambda f: f["rows"])
    print(
        f"{len(manifest['files'])} files, {rows:,} rows in Parquet (largest: {largest['path']}, "
        f"{largest['rows']:,} rows); raw payloads: {manifest['raw_payloads']}"
    )
    print(
        f"{seconds:.1f} s, archive {size_mb:.0f} MB, peak RSS {peak_rss_mb:.0f} MB, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(
        json.dumps(
            {
                "benchmark": "export",
                "seconds": round(seconds, 1),
                "archive_mb": round(size_mb),
                "peak_rss_mb": round(peak_rss_mb),
                "rows": rows,
                "largest_table_rows": largest["rows"],
            }
        )
    )


if __name__ == "__main__":
    main()
