"""Dashboard load times in a real browser: navigation -> main chart drawn, per page, first visit and revisit.

    uv run python benchmarks/dashboard_load.py --home $OPENFIT_HOME          # a built warehouse
    uv run python benchmarks/dashboard_load.py --synthetic 20x730            # a generated snapshot instead

The dashboards are started as `openfit serve` starts them; Chromium is Debian's (/usr/bin/chromium,
scripts/install_browser.sh), driven by Playwright. Procedure:
  1. warm-up: one full load of the app for the first athlete (Python imports in the server, the browser's
     JS cache); reported as server_cold_start_ms, not counted.
  2. per round, the tab loads the app for another athlete (?athlete=<id>), so no query of that athlete is
     cached: the first page is timed from `goto` (a full page load, new Streamlit session), every other page
     from the click in the sidebar (in-app navigation) -> "first visit" (cold data cache).
  3. the same pages are clicked again in the same session -> "revisit" (cached data).
  4. each page is also loaded again by URL with warm data -> "reload" (full page load, for reference).
Times are from the navigation (goto / click) until the page's main Plotly chart has a drawn trace.
The last line is JSON: {"benchmark": "dashboard_load", "pages", "p50_ms", "max_ms", ...}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# the tests' Playwright harness, shared with this benchmark
sys.path.insert(0, str(REPO / "tests" / "dashboards"))

import browser_check as bc  # noqa: E402
import duckdb  # noqa: E402

TARGET_FIRST_MS = 2000
TARGET_REVISIT_MS = 500


def athletes_in(home: Path) -> list[str]:
    """Athletes every page can draw a chart for: with a power curve when the snapshot has that mart (a runner
    without a power meter gets the page's empty state, which is not a chart load)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{home / 'serving' / 'snapshot.duckdb'}' AS s (READ_ONLY)")
        has_curve = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 's' "
            "AND schema_name = 'marts' AND table_name = 'power_curve'"
        ).fetchone()[0]
        where = "WHERE athlete_id IN (SELECT athlete_id FROM s.marts.power_curve)" if has_curve else ""
        return [
            r[0]
            for r in con.execute(
                f"SELECT CAST(athlete_id AS VARCHAR) FROM s.openfit.athletes {where} ORDER BY 1"
            ).fetchall()
        ]
    finally:
        con.close()


def synthetic_home(spec: str, folder: Path) -> Path:
    from dashboard_snapshot import build_snapshot

    athletes, days = (int(x) for x in spec.lower().split("x"))
    t = time.perf_counter()
    # 5 s samples keep a 20 x 730 snapshot to a few GB of RAM while generating; streams are downsampled
    # to 2,000 points for display anyway.
    build_snapshot(folder / "serving" / "snapshot.duckdb", athletes=athletes, days=days, sample_interval_s=5)
    print(f"generated a {athletes} x {days} snapshot in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return folder


def run(home: Path, rounds: int) -> dict:
    athletes = athletes_in(home)
    if len(athletes) < 2:
        raise SystemExit("the benchmark needs at least 2 athletes (one for the warm-up)")
    if rounds > len(athletes) - 1:
        # A second round for the same athlete would find its data cached: not a first visit.
        print(f"only {len(athletes) - 1} athlete(s) besides the warm-up one: {len(athletes) - 1} round(s)")
        rounds = len(athletes) - 1
    first: dict[str, list[float]] = {p.title: [] for p in bc.PAGES}
    revisit: dict[str, list[float]] = {p.title: [] for p in bc.PAGES}
    reload: dict[str, list[float]] = {p.title: [] for p in bc.PAGES}
    with bc.running_dashboards(home) as base, bc.chromium() as browser:
        # One tab throughout, as a user has: a fresh tab per round would add a renderer start-up and JS
        # compile of several seconds to every first page (measured), which is not what users see.
        tab = browser.pages[0] if browser.pages else browser.new_page()
        t = time.perf_counter()
        tab.goto(f"{base}/?athlete={athletes[0]}", wait_until="commit")
        bc.wait_for_page(tab, bc.PAGES[0], timeout_ms=120_000)
        cold_start_ms = (time.perf_counter() - t) * 1000
        for r in range(rounds):
            athlete = athletes[1 + r % (len(athletes) - 1)]
            tab.goto("about:blank")
            t = time.perf_counter()
            tab.goto(f"{base}/?athlete={athlete}", wait_until="commit")
            bc.wait_for_page(tab, bc.PAGES[0])
            first[bc.PAGES[0].title].append((time.perf_counter() - t) * 1000)
            for page in bc.PAGES[1:]:
                first[page.title].append(bc.click_page(tab, page))
            for page in (*bc.PAGES[1:], bc.PAGES[0]):
                revisit[page.title].append(bc.click_page(tab, page))
            for page in bc.PAGES:
                tab.goto("about:blank")
                reload[page.title].append(bc.open_page(tab, base, page))
    per_page = [
        {
            "page": p.title,
            "first_ms": statistics.median(first[p.title]),
            "revisit_ms": statistics.median(revisit[p.title]),
            "reload_ms": statistics.median(reload[p.title]),
        }
        for p in bc.PAGES
    ]
    firsts = [r["first_ms"] for r in per_page]
    revisits = [r["revisit_ms"] for r in per_page]
    return {
        "per_page": per_page,
        "summary": {
            "benchmark": "dashboard_load",
            "pages": len(per_page),
            "p50_ms": round(statistics.median(firsts)),
            "max_ms": round(max(firsts)),
            "revisit_p50_ms": round(statistics.median(revisits)),
            "revisit_max_ms": round(max(revisits)),
            "reload_p50_ms": round(statistics.median(r["reload_ms"] for r in per_page)),
            "server_cold_start_ms": round(cold_start_ms),
            "rounds": rounds,
            "athletes": len(athletes),
            "target_first_ms": TARGET_FIRST_MS,
            "target_revisit_ms": TARGET_REVISIT_MS,
            "meets_target": max(firsts) < TARGET_FIRST_MS and max(revisits) < TARGET_REVISIT_MS,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--home", type=Path, help="an OPENFIT_HOME with a published snapshot")
    source.add_argument("--synthetic", metavar="ATHLETESxDAYS", help="generate a snapshot, e.g. 20x730")
    parser.add_argument("--rounds", type=int, default=3, help="athletes measured (each a fresh session)")
    args = parser.parse_args()
    if bc.chromium_path() is None:
        raise SystemExit("no Chromium: run scripts/install_browser.sh")
    with tempfile.TemporaryDirectory(prefix="openfit-dashbench-") as tmp:
        home = args.home.expanduser().resolve() if args.home else synthetic_home(args.synthetic, Path(tmp))
        if not (home / "serving" / "snapshot.duckdb").exists():
            raise SystemExit(
                f"no snapshot at {home / 'serving' / 'snapshot.duckdb'}: run `openfit build` first"
            )
        result = run(home, args.rounds)
    print(f"{'page':<20} {'first visit ms':>15} {'revisit ms':>11} {'reload ms':>10}")
    for row in result["per_page"]:
        print(
            f"{row['page']:<20} {row['first_ms']:>15.0f} {row['revisit_ms']:>11.0f} {row['reload_ms']:>10.0f}"
        )
    print(json.dumps(result["summary"]))


if __name__ == "__main__":
    main()
