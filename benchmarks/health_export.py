"""Apple Health export benchmark: decode speed and peak memory of a generated export.xml of a given size.

    uv run python benchmarks/health_export.py --size-gb 0.2 [--with-import]

Writes a realistic export.xml (``tests/ingestion/files/apple_health_samples.py``: an iPhone and an Apple Watch, heart
rate every 5 minutes, sleep stages, HRV, workouts, ...) of about ``--size-gb`` GB into a temporary folder,
then decodes it in a fresh process (so the peak RSS is the decoder's alone, interpreter and imports
included) with ``ingestion.files.decode.decode_path``, as an import worker does: warmed first (the worker
pool's forkserver imports the decoders and decodes a tiny file of each format before forking workers), so
``decode_s`` is the decoding alone; ``warm_rss_mb`` is the process before it.

``--with-import`` also times the whole import (``import_paths``: walk, blob store, isolated decode, re-import
check, dlt load into ``raw_files``) into a fresh temporary home, then the re-import of the same account's
export written again (new device addresses and export date, so other bytes and another sha256: every row is
known and nothing is loaded).

Targets: >= 60 MB/s and peak RSS <= 600 MB at 2 GB; re-import <= 20 % of the first import.

Prints a table, then a last JSON line:
{"benchmark": "health_export", "format": "apple_health", "size_mb", "records", "decode_s", "mb_per_s",
 "records_per_s", "peak_rss_mb", "warm_rss_mb", "import_s", "reimport_s", "reimport_ratio"}
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openfit  # noqa: E402,F401  (telemetry off)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "ingestion" / "files"))
from apple_health_samples import ExportSpec, write_export_xml  # noqa: E402  (the tests' export writer)


def _decode_in_this_process(path: Path) -> None:
    """Child mode: decode `path`, print one JSON line with the time, the counts and this process's peak RSS."""
    import ingestion.files.warm  # noqa: F401  (imports and one tiny decode of each format, as a worker has)
    from ingestion.files.decode import decode_path

    warm_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    decoded = decode_path(path)
    elapsed = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: kilobytes
    print(
        json.dumps(
            {
                "status": decoded.status,
                "reason": decoded.reason,
                "records": decoded.record_count,
                "counts": decoded.counts(),
                "decode_s": elapsed,
                "peak_rss_mb": peak_kb / 1024,
                "warm_rss_mb": warm_rss_kb / 1024,
            }
        )
    )


def _decode_in_child(path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--decode", str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _import_twice(folder: Path, spec: ExportSpec) -> tuple[float, float, str]:
    """First import of the export, then the import of the same account's export written again."""
    from ingestion.files.importer import import_paths
    from openfit.settings import Settings

    again = folder / "again" / "export.xml"
    again.parent.mkdir()
    with open(again, "wb") as out:
        write_export_xml(out, ExportSpec(**{**spec.__dict__, "export_seed": spec.export_seed + 1}))
    with tempfile.TemporaryDirectory(prefix="openfit-bench-home-") as home:
        os.environ["OPENFIT_HOME"] = home
        settings = Settings()
        timeout = 3600.0
        started = time.perf_counter()
        first = import_paths([folder / "export.xml"], settings, timeout_s=timeout)
        import_s = time.perf_counter() - started
        started = time.perf_counter()
        second = import_paths([again], settings, timeout_s=timeout)
        reimport_s = time.perf_counter() - started
    statuses = f"{first.outcomes[0].status} then {second.outcomes[0].status}"
    return import_s, reimport_s, statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gb", type=float, default=0.05, help="size of the generated export.xml")
    parser.add_argument("--with-import", action="store_true", help="also time import and re-import")
    parser.add_argument("--decode", type=Path, help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args()
    if args.decode is not None:
        _decode_in_this_process(args.decode)
        return 0

    with tempfile.TemporaryDirectory(prefix="openfit-health-export-") as tmp:
        folder = Path(tmp)
        path = folder / "export.xml"
        spec = ExportSpec(days=1, target_bytes=int(args.size_gb * 1e9))
        started = time.perf_counter()
        with open(path, "wb") as out:
            written = write_export_xml(out, spec)
        generate_s = time.perf_counter() - started
        size_mb = written.bytes / 1e6
        print(
            f"generated   {size_mb:10.1f} MB  {written.days} days, {written.records} records in {generate_s:.1f} s"
        )

        result = _decode_in_child(path)
        decode_s = result["decode_s"]
        print(f"decoded     {result['status']:>10}  {result['records']} records in {decode_s:.2f} s")
        print(f"speed       {size_mb / decode_s:10.1f} MB/s  {result['records'] / decode_s:,.0f} records/s")
        print(
            f"peak RSS    {result['peak_rss_mb']:10.1f} MB (decoder process; {result['warm_rss_mb']:.0f} MB warm)"
        )
        line = {
            "benchmark": "health_export",
            "format": "apple_health",
            "size_mb": round(size_mb, 1),
            "records": result["records"],
            "decode_s": round(decode_s, 3),
            "mb_per_s": round(size_mb / decode_s, 1),
            "records_per_s": round(result["records"] / decode_s),
            "peak_rss_mb": round(result["peak_rss_mb"], 1),
            "warm_rss_mb": round(result["warm_rss_mb"], 1),
            "import_s": None,
            "reimport_s": None,
            "reimport_ratio": None,
        }
        if args.with_import:
            import_s, reimport_s, statuses = _import_twice(folder, spec)
            print(f"import      {import_s:10.2f} s   re-import {reimport_s:.2f} s ({statuses})")
            line.update(
                import_s=round(import_s, 2),
                reimport_s=round(reimport_s, 2),
                reimport_ratio=round(reimport_s / import_s, 3),
            )
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
