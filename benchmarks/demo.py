"""Benchmark `make demo` after install: seconds until something is served, and until the full history is.

    uv run python benchmarks/demo.py                  # the default cohort (3 athletes x 365 days)
    uv run python benchmarks/demo.py --days 60        # a quick look

Runs `openfit demo` in a new, empty home (as on a fresh clone after `make install`) on spare ports and prints,
from the command's start: the first snapshot published, the API answering a key's request with data, the
dashboards answering, and the background build's full history published. Then a JSON line. Target: something
served within 90 s.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cohort import cohort_env  # noqa: E402  (this folder's helper)

TARGET_SERVED_S = 90.0


def _answers(url: str, headers: dict[str, str] | None = None) -> bool:
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers or {}), timeout=5
        ) as response:
            return response.status == 200 and bool(json.loads(response.read()) if "/v1/" in url else True)
    except (OSError, ValueError):
        return False


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--athletes", type=int, default=3)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()

    from openfit.progress import read_progress
    from openfit.settings import Settings

    home = Path(tempfile.mkdtemp(prefix="openfit-demo-bench-"))
    ports = {
        "OPENFIT_DAGSTER_PORT": "3937",
        "OPENFIT_API_PORT": "8937",
        "OPENFIT_DASHBOARD_PORT": "8936",
        "OPENFIT_WEBHOOK_PORT": "8934",
    }
    env = {**os.environ, **ports, **cohort_env(home, args.athletes, args.days, end_date=None)}
    settings = Settings(home=home)
    log_path = home / "demo-benchmark.log"
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "openfit", "demo"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    marks: dict[str, float] = {}
    try:
        key = None
        while time.monotonic() - started < args.timeout and proc.poll() is None:
            elapsed = round(time.monotonic() - started, 1)
            log = log_path.read_text()
            if "first_snapshot_s" not in marks and settings.snapshot_path.exists():
                marks["first_snapshot_s"] = elapsed
            if (
                key is None
                and "Demo API key" in log
                and len(log.split("Demo API key", 1)[1].splitlines()) > 1
            ):
                key = log.split("Demo API key", 1)[1].splitlines()[1].strip()
            if (
                "api_serves_s" not in marks
                and key
                and _answers(
                    f"http://127.0.0.1:{ports['OPENFIT_API_PORT']}/v1/athletes",
                    {"Authorization": f"Bearer {key}"},
                )
            ):
                marks["api_serves_s"] = elapsed
            if "dashboards_serve_s" not in marks and _answers(
                f"http://127.0.0.1:{ports['OPENFIT_DASHBOARD_PORT']}/_stcore/health"
            ):
                marks["dashboards_serve_s"] = elapsed
            progress = read_progress(settings)
            if progress and "extending" in progress["label"] and progress["outcome"]:
                marks["full_history_s"] = elapsed
                marks["full_history_outcome"] = progress["outcome"]
                break
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=60)
    served = max(marks.get("api_serves_s", float("inf")), marks.get("dashboards_serve_s", float("inf")))
    print(f"demo, {args.athletes} athletes x {args.days} days, fresh home {home}")
    for name, value in marks.items():
        print(f"  {name:<22}{value}")
    verdict = "meets" if served <= TARGET_SERVED_S else "MISSES"
    print(f"served (API and dashboards) after {served} s (target <= {TARGET_SERVED_S:.0f} s) -> {verdict}")
    print(
        json.dumps(
            {
                "benchmark": "demo",
                "athletes": args.athletes,
                "days": args.days,
                **marks,
                "served_s": served,
                "target_s": TARGET_SERVED_S,
                "meets": served <= TARGET_SERVED_S,
            }
        )
    )


if __name__ == "__main__":
    main()
