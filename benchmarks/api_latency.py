"""API latency: the real server on 127.0.0.1, driven from this (second) process by concurrent clients.

    uv run python benchmarks/api_latency.py [--requests 2100] [--concurrency 50] [--home PATH]

Snapshot: $OPENFIT_HOME's published snapshot (the demo warehouse) if there is one, else a generated one
(tests/api/snapshot_factory.py: 3 athletes x 365 days, marts included). The snapshot is copied into a temporary
home with its own admin key, so nothing is written to the real home. Rate limiting is off for the run.

Three runs side by side, each against a freshly started server (one uvicorn worker):
  rest, cache off   list, detail, streams, training-load, correlate with OPENFIT_API_RESPONSE_CACHE_MB=0:
                    every request runs its queries (the cost of a first visit)
  rest              the same requests as shipped, starting with an empty response cache (first visits of each
                    URL are computed, repeats are answered from the cache)
  rest, warm        the same requests again on the same server: every answer is in the cache
  mcp               MCP tool calls over /mcp (list_activities, get_activity, get_training_load,
                    correlate_metrics); the MCP layer has no response cache
Prints p50/p95/p99 per endpoint, then a last JSON line:
{"benchmark": "api_latency", "requests", "concurrency", "p50_ms", "p95_ms", "p99_ms", "errors", ...}
(the headline percentiles are over the REST list and detail endpoints as shipped, the target's subject;
the same figures without the cache and the MCP figures are in the line too).

The load generator is aiohttp (httpx's client tops out near 150 requests/s here and would measure itself).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
from pathlib import Path

import aiohttp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_server import pick_targets, prepare_home, running_api  # noqa: E402

from api.keys import KeyStore  # noqa: E402


def rest_endpoints(targets: dict) -> dict[str, tuple[str, dict | None]]:
    """name -> (path template with {activity}, None)."""
    athlete = targets["athlete"]
    return {
        "list": (f"/v1/activities?athlete_id={athlete}&limit=50", None),
        "detail": ("/v1/activities/{activity}", None),
        "streams": ("/v1/activities/{activity}/streams?max_points=500", None),
        "training-load": (f"/v1/analytics/training-load?athlete_id={athlete}&limit=365", None),
        "correlate": (
            f"/v1/metrics/correlate?athlete_id={athlete}&metrics=resting_hr,hrv,sleep_score&max_lag_days=3",
            None,
        ),
    }


def mcp_endpoints(targets: dict) -> dict[str, tuple[str, dict | None]]:
    """name -> ("/mcp", the tools/call params with {activity})."""
    athlete = targets["athlete"]
    return {
        "mcp:list_activities": (
            "/mcp",
            {"name": "list_activities", "arguments": {"athlete_id": athlete, "limit": 20}},
        ),
        "mcp:get_activity": ("/mcp", {"name": "get_activity", "arguments": {"activity_id": "{activity}"}}),
        "mcp:get_training_load": (
            "/mcp",
            {"name": "get_training_load", "arguments": {"athlete_id": athlete}},
        ),
        "mcp:correlate_metrics": (
            "/mcp",
            {
                "name": "correlate_metrics",
                "arguments": {"athlete_id": athlete, "metrics": ["resting_hr", "hrv", "sleep_score"]},
            },
        ),
    }


async def drive(
    base: str, key: str, targets: dict, plan: dict, total: int, concurrency: int
) -> dict[str, dict]:
    names = list(plan)
    latencies: dict[str, list[float]] = {n: [] for n in names}
    errors: dict[str, int] = {n: 0 for n in names}
    hits = 0
    samples: list[str] = []  # the first few failures, to say what went wrong
    counter = iter(range(total))
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream"}

    async def call(session: aiohttp.ClientSession, i: int, name: str, activity: str) -> tuple[bool, str]:
        nonlocal hits
        path, body = plan[name]
        url = base + path.replace("{activity}", activity)
        if body is None:
            async with session.get(url) as response:
                text = await response.text()
                hits += response.headers.get("x-openfit-cache") == "hit"
                return response.status == 200, f"{response.status} {text[:200]}"
        params = json.loads(json.dumps(body).replace("{activity}", activity))
        async with session.post(
            url, json={"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": params}
        ) as response:
            text = await response.text()
            ok = response.status == 200 and not json.loads(text).get("result", {}).get("isError", True)
            return ok, f"{response.status} {text[:200]}"

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in counter:
            name = names[i % len(names)]
            activity = targets["activities"][i % len(targets["activities"])]
            started = time.perf_counter()
            try:
                ok, detail = await call(session, i, name, activity)
            except (aiohttp.ClientError, ValueError) as exc:
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            latencies[name].append((time.perf_counter() - started) * 1000)
            if not ok:
                errors[name] += 1
                if len(samples) < 5:
                    samples.append(f"{name}: {detail}")

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        headers=headers, connector=connector, timeout=aiohttp.ClientTimeout(total=60)
    ) as session:
        for name in names:  # warm-up: one of each, not counted
            await call(session, 0, name, targets["activities"][0])
        hits = 0
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    for line in samples:
        print("error:", line)
    return {
        "endpoints": {n: {"latencies": latencies[n], "errors": errors[n]} for n in names},
        "cache_hits": hits,
    }


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2100)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--home", type=Path, default=None, help="OPENFIT_HOME whose snapshot to use")
    args = parser.parse_args()

    home, origin = prepare_home(args.home)
    key, _ = KeyStore.for_home(home).create(None, name="benchmark")
    targets = pick_targets(home / "serving" / "snapshot.duckdb")
    runs = {
        "rest, cache off": (rest_endpoints(targets), {"OPENFIT_API_RESPONSE_CACHE_MB": "0"}),
        "rest": (rest_endpoints(targets), {}),
        "mcp": (mcp_endpoints(targets), {}),
    }
    results = {}
    try:
        for run, (plan, env) in runs.items():
            passes = run_server_and_drive(
                home,
                key,
                targets,
                plan,
                env,
                args.requests,
                args.concurrency,
                passes=2 if run == "rest" else 1,
            )
            results[run] = passes[0]
            if len(passes) > 1:
                results["rest, warm"] = passes[1]
    finally:
        shutil.rmtree(home, ignore_errors=True)

    print(f"snapshot: {origin}")
    print(
        f"{args.requests} requests per run, {args.concurrency} concurrent clients, server: 1 uvicorn worker on "
        f"127.0.0.1, {os.cpu_count()} cores shared with the load generator, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(f"{'run':<16}{'endpoint':<24}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for run, result in results.items():
        for name, data in result["endpoints"].items():
            lat = data["latencies"]
            print(
                f"{run:<16}{name:<24}{len(lat):>6}{pct(lat, 50):>10}{pct(lat, 95):>10}{pct(lat, 99):>10}"
                f"{data['errors']:>8}"
            )
        print(
            f"{run:<16}{result['rps']:.0f} requests/s, server CPU {result['server_cpu_ms']:.2f} ms per request, "
            f"cache hits {result['cache_hits']}"
        )

    def headline(run: str) -> list[float]:
        found = results[run]["endpoints"]
        return found["list"]["latencies"] + found["detail"]["latencies"]

    mcp_all = [v for d in results["mcp"]["endpoints"].values() for v in d["latencies"]]
    print(
        json.dumps(
            {
                "benchmark": "api_latency",
                "requests": args.requests,
                "concurrency": args.concurrency,
                "p50_ms": pct(headline("rest"), 50),
                "p95_ms": pct(headline("rest"), 95),
                "p99_ms": pct(headline("rest"), 99),
                "errors": sum(d["errors"] for r in results.values() for d in r["endpoints"].values()),
                "throughput_rps": round(results["rest"]["rps"], 1),
                "cache_hit_ratio": round(results["rest"]["cache_hits"] / args.requests, 3),
                "warm_p50_ms": pct(headline("rest, warm"), 50),
                "warm_p95_ms": pct(headline("rest, warm"), 95),
                "uncached_p50_ms": pct(headline("rest, cache off"), 50),
                "uncached_p95_ms": pct(headline("rest, cache off"), 95),
                "uncached_throughput_rps": round(results["rest, cache off"]["rps"], 1),
                "server_cpu_ms_per_request": {r: round(v["server_cpu_ms"], 2) for r, v in results.items()},
                "mcp_p50_ms": pct(mcp_all, 50),
                "mcp_p95_ms": pct(mcp_all, 95),
                "mcp_throughput_rps": round(results["mcp"]["rps"], 1),
                "load_average": round(os.getloadavg()[0], 1),
                "per_endpoint_p95_ms": {
                    f"{r}: {n}": pct(d["latencies"], 95)
                    for r, v in results.items()
                    for n, d in v["endpoints"].items()
                },
            }
        )
    )


def run_server_and_drive(
    home: Path,
    key: str,
    targets: dict,
    plan: dict,
    extra_env: dict,
    requests: int,
    concurrency: int,
    passes: int = 1,
) -> list[dict]:
    with running_api(home, {"OPENFIT_API_RATE_LIMIT_PER_MINUTE": "0", **extra_env}) as (base, server_process):
        results = []
        for _ in range(passes):
            cpu_before = sum(server_process.cpu_times()[:2])
            started = time.perf_counter()
            result = asyncio.run(drive(base, key, targets, plan, requests, concurrency))
            wall = time.perf_counter() - started
            # Server CPU per request: what the box must supply, independent of other load on a shared machine.
            result["server_cpu_ms"] = (sum(server_process.cpu_times()[:2]) - cpu_before) * 1000 / requests
            result["rps"] = requests / wall
            results.append(result)
        return results


if __name__ == "__main__":
    main()
