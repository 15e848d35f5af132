"""API fairness: one key's load must not slow another key's reads by more than 2x.

    uv run python benchmarks/api_fairness.py [--seconds 20] [--rate 10] [--home PATH] [--unlimited]

The real server on 127.0.0.1 (one uvicorn worker, benchmarks/api_server.py), as shipped (rate limit and
concurrency limits on) except that the response cache is off, so every read of key B runs its queries.

  key B   reads at a fixed rate (open loop: a request every 1/rate s whatever the answers take): the activity
          list, an activity's detail, the wellness days, in turn
  key A   45 concurrent query_sql calls of a query that runs until the time limit (10 s), each worker calling
          again 0.5 s after any answer (a refusal's Retry-After ignored), and 100 GET /mcp streams opened at
          once, every one it gets held open to the end

B reads alone for --seconds, then for --seconds while A's load runs. Prints B's p50/p95 in both phases, their
ratio (target <= 2), B's errors (target 0), what A got (calls run / refused / timed out, streams held /
refused) and the server's peak RSS (sampled every 0.1 s), as a table and then one JSON line.
`--unlimited` lifts the per-key limits (the server before them), for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import aiohttp
import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_server import pick_targets, prepare_home, running_api  # noqa: E402

from api.keys import KeyStore  # noqa: E402

HEAVY_CALLS = 45
STREAMS = 100
SLOW_SQL = "SELECT count(*) FROM range(1000000000) a, range(100000) b"
TARGET_RATIO = 2.0
UNLIMITED = {
    name: "100000"
    for name in (
        "OPENFIT_API_HEAVY_CALLS_PER_KEY",
        "OPENFIT_API_HEAVY_CALLS_TOTAL",
        "OPENFIT_API_MCP_STREAMS_PER_KEY",
        "OPENFIT_API_MCP_STREAMS_TOTAL",
    )
}


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2) if values else float("nan")


class PeakRss:
    """Samples the resident memory of a process and its children every 0.1 s on a thread."""

    def __init__(self, process: psutil.Process) -> None:
        self.process = process
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                tree = [self.process, *self.process.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in tree))
            except psutil.Error:
                pass
            self._stop.wait(0.1)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


async def reads_of_b(base: str, key: str, targets: dict, seconds: float, rate: float) -> dict:
    """B's reads at a fixed rate; latencies in ms and the failures."""
    athlete = targets["athlete"]
    activities = targets["activities"]
    paths = [
        f"/v1/activities?athlete_id={athlete}&limit=20",
        "/v1/activities/{activity}",
        f"/v1/wellness?athlete_id={athlete}&limit=30",
    ]
    latencies: list[float] = []
    errors: list[str] = []

    async def one(session: aiohttp.ClientSession, i: int) -> None:
        path = paths[i % len(paths)].replace("{activity}", activities[i % len(activities)])
        started = time.perf_counter()
        try:
            async with session.get(base + path) as response:
                await response.read()
                if response.status != 200:
                    errors.append(f"{response.status} {path}")
        except (TimeoutError, aiohttp.ClientError) as exc:
            errors.append(f"{type(exc).__name__} {path}")
        latencies.append((time.perf_counter() - started) * 1000)

    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(
        headers=headers, timeout=aiohttp.ClientTimeout(total=60), connector=aiohttp.TCPConnector(limit=0)
    ) as session:
        await one(session, 0)  # warm-up, not counted
        latencies.clear()
        tasks = []
        started = time.perf_counter()
        for i in range(int(seconds * rate)):
            await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(session, i)))
        await asyncio.gather(*tasks)
    return {"latencies": latencies, "errors": errors}


async def load_of_a(base: str, key: str, stop: asyncio.Event, outcome: dict) -> None:
    """A's heavy calls and streams until `stop` is set."""
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream"}
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "query_sql", "arguments": {"sql": SLOW_SQL}},
    }

    async def heavy(session: aiohttp.ClientSession) -> None:
        while not stop.is_set():
            try:
                async with session.post(f"{base}/mcp", json=body) as response:
                    text = await response.text()
                if response.status == 429:
                    outcome["calls_refused_429"] += 1
                elif "time limit" in text:
                    outcome["calls_run_to_time_limit"] += 1
                else:
                    outcome["calls_other"] += 1
            except (TimeoutError, aiohttp.ClientError):
                outcome["calls_other"] += 1
            await asyncio.sleep(0.5)

    async def stream(session: aiohttp.ClientSession) -> None:
        try:
            async with session.get(f"{base}/mcp", headers={"Accept": "text/event-stream"}) as response:
                if response.status != 200:
                    outcome["streams_refused"] += 1
                    return
                outcome["streams_held"] += 1
                await stop.wait()  # held open, never read to the end
        except (TimeoutError, aiohttp.ClientError):
            outcome["streams_failed"] += 1

    async with aiohttp.ClientSession(
        headers=headers, timeout=aiohttp.ClientTimeout(total=None), connector=aiohttp.TCPConnector(limit=0)
    ) as session:
        await asyncio.gather(
            *(stream(session) for _ in range(STREAMS)), *(heavy(session) for _ in range(HEAVY_CALLS))
        )


async def run_phases(base: str, key_a: str, key_b: str, targets: dict, seconds: float, rate: float) -> dict:
    alone = await reads_of_b(base, key_b, targets, seconds, rate)
    outcome = dict.fromkeys(
        (
            "calls_run_to_time_limit",
            "calls_refused_429",
            "calls_other",
            "streams_held",
            "streams_refused",
            "streams_failed",
        ),
        0,
    )
    stop = asyncio.Event()
    load = asyncio.create_task(load_of_a(base, key_a, stop, outcome))
    await asyncio.sleep(2)  # A's streams are open and its calls running before B's second phase starts
    loaded = await reads_of_b(base, key_b, targets, seconds, rate)
    stop.set()
    try:
        await asyncio.wait_for(load, timeout=30)
    except TimeoutError:
        load.cancel()
    return {"alone": alone, "loaded": loaded, "a": outcome}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each of B's two phases")
    parser.add_argument("--rate", type=float, default=10.0, help="B's reads per second")
    parser.add_argument("--home", type=Path, default=None, help="OPENFIT_HOME whose snapshot to use")
    parser.add_argument("--unlimited", action="store_true", help="lift the per-key limits, for comparison")
    args = parser.parse_args()

    home, origin = prepare_home(args.home)
    try:
        targets = pick_targets(home / "serving" / "snapshot.duckdb")
        store = KeyStore.for_home(home)
        key_b, _ = store.create([targets["athlete"]], name="reader B")
        key_a, _ = store.create([targets["athletes"][-1]], name="heavy A")
        env = {"OPENFIT_API_RESPONSE_CACHE_MB": "0", **(UNLIMITED if args.unlimited else {})}
        with running_api(home, env) as (base, server), PeakRss(server) as rss:
            result = asyncio.run(run_phases(base, key_a, key_b, targets, args.seconds, args.rate))
    finally:
        shutil.rmtree(home, ignore_errors=True)

    alone, loaded, a = result["alone"]["latencies"], result["loaded"]["latencies"], result["a"]
    b_errors = result["alone"]["errors"] + result["loaded"]["errors"]
    ratio = round(pct(loaded, 95) / pct(alone, 95), 2)
    limits = "lifted (--unlimited)" if args.unlimited else "as shipped"
    print(f"snapshot: {origin}")
    print(
        f"server: 1 uvicorn worker on 127.0.0.1, limits {limits}, response cache off; {os.cpu_count()} cores "
        f"shared with this load generator; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"key B: {args.rate:g} reads/s for {args.seconds:g} s per phase; key A: {HEAVY_CALLS} concurrent "
        f"query_sql workers and {STREAMS} GET /mcp streams"
    )
    print(f"{'phase':<22}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, values, errors in (
        ("B alone", alone, result["alone"]["errors"]),
        ("B while A loads", loaded, result["loaded"]["errors"]),
    ):
        print(
            f"{name:<22}{len(values):>6}{pct(values, 50):>10}{pct(values, 95):>10}{pct(values, 99):>10}"
            f"{len(errors):>8}"
        )
    print(f"p95 ratio (loaded / alone): {ratio} (target <= {TARGET_RATIO:g})")
    print("key A: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in a.items()))
    print(f"server peak RSS: {rss.peak / (1 << 20):.0f} MB")
    for line in b_errors[:5]:
        print("B error:", line)
    print(
        json.dumps(
            {
                "benchmark": "api_fairness",
                "limits": "unlimited" if args.unlimited else "shipped",
                "seconds_per_phase": args.seconds,
                "b_rate_per_s": args.rate,
                "b_alone_p50_ms": pct(alone, 50),
                "b_alone_p95_ms": pct(alone, 95),
                "b_loaded_p50_ms": pct(loaded, 50),
                "b_loaded_p95_ms": pct(loaded, 95),
                "p95_ratio": ratio,
                "target_ratio": TARGET_RATIO,
                "meets_target": ratio <= TARGET_RATIO and not b_errors,
                "b_requests": len(alone) + len(loaded),
                "b_errors": len(b_errors),
                "a": a,
                "server_peak_rss_mb": round(rss.peak / (1 << 20), 1),
                "load_average": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
