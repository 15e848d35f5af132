"""API latency: the real server on 127.0.0.1, driven from this (second) process by concurrent clients.

    uv run python benchmarks/api_latency.py [--requests 2000] [--concurrency 50] [--home PATH]

Snapshot: $OPENFIT_HOME's published snapshot (the demo warehouse) if there is one, else a generated one
(tests/api/snapshot_factory.py: 3 athletes x 365 days, marts included). The snapshot is copied into a temporary
home with its own admin key, so nothing is written to the real home. Rate limiting is off for the run.

Endpoints: list, detail, streams, training-load, correlate (REST) and two MCP tool calls over /mcp.
Prints p50/p95/p99 per endpoint, then a last JSON line:
{"benchmark": "api_latency", "requests", "concurrency", "p50_ms", "p95_ms", "p99_ms", "errors", ...}
(the headline percentiles are over the REST list and detail endpoints, the target's subject).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "api"))

import openfit  # noqa: E402,F401  (telemetry off)
from api.keys import KeyStore  # noqa: E402
from api.query import reads  # noqa: E402
from api.query.snapshot import SnapshotReader  # noqa: E402
from openfit.settings import get_settings  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_home(source_home: Path | None) -> tuple[Path, str]:
    home = Path(tempfile.mkdtemp(prefix="openfit_bench_"))
    snapshot = home / "serving" / "openfit.duckdb"
    real = (source_home or get_settings().home_dir) / "serving" / "openfit.duckdb"
    if real.exists():
        snapshot.parent.mkdir(parents=True)
        shutil.copy2(real, snapshot)
        origin = f"published snapshot {real}"
    else:
        from snapshot_factory import build_snapshot

        build_snapshot(snapshot, athletes=3, days=365, samples_per_activity=3600, with_marts=True)
        origin = "generated snapshot (3 athletes x 365 days, 1 Hz samples)"
    return home, origin


def pick_targets(snapshot: Path) -> dict:
    from api.keys import AthleteScope

    reader = SnapshotReader(snapshot)
    try:
        with reader.cursor() as cur:
            athlete = reads.list_athletes(cur, AthleteScope.everyone())[0].athlete_id
            activities = reads.list_activities(cur, AthleteScope.everyone(), athlete_id=athlete, limit=50).items
    finally:
        reader.close()
    return {"athlete": athlete, "activities": [a.activity_id for a in activities]}


def endpoints(targets: dict) -> dict[str, tuple[str, str, dict | None]]:
    """name -> (method, path template with {activity}, JSON body for MCP)."""
    athlete = targets["athlete"]
    return {
        "list": ("GET", f"/v1/activities?athlete_id={athlete}&limit=50", None),
        "detail": ("GET", "/v1/activities/{activity}", None),
        "streams": ("GET", "/v1/activities/{activity}/streams?max_points=500", None),
        "training-load": ("GET", f"/v1/analytics/training-load?athlete_id={athlete}&limit=365", None),
        "correlate": ("GET", f"/v1/metrics/correlate?athlete_id={athlete}&metrics=resting_hr,hrv,sleep_score"
                             "&max_lag_days=3", None),
        "mcp:list_activities": ("POST", "/mcp", {"name": "list_activities",
                                                 "arguments": {"athlete_id": athlete, "limit": 20}}),
        "mcp:get_activity": ("POST", "/mcp", {"name": "get_activity", "arguments": {"activity_id": "{activity}"}}),
    }


async def drive(base: str, key: str, targets: dict, total: int, concurrency: int) -> dict[str, dict]:
    plan = endpoints(targets)
    names = list(plan)
    latencies: dict[str, list[float]] = {n: [] for n in names}
    errors: dict[str, int] = {n: 0 for n in names}
    samples: list[str] = []  # the first few failures, to say what went wrong
    counter = iter(range(total))
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        for i in counter:
            name = names[i % len(names)]
            method, path, body = plan[name]
            activity = targets["activities"][i % len(targets["activities"])]
            url = path.replace("{activity}", activity)
            started = time.perf_counter()
            try:
                if body is None:
                    response = await client.get(url)
                    ok = response.status_code == 200
                else:
                    call = json.loads(json.dumps(body).replace("{activity}", activity))
                    response = await client.post(url, json={"jsonrpc": "2.0", "id": i, "method": "tools/call",
                                                            "params": call})
                    ok = response.status_code == 200 and not response.json().get("result", {}).get("isError", True)
            except httpx.HTTPError as exc:
                ok, response = False, None
                detail = f"{type(exc).__name__}: {exc}"
            latencies[name].append((time.perf_counter() - started) * 1000)
            if not ok:
                errors[name] += 1
                if len(samples) < 5:
                    samples.append(f"{name} {url}: " + (f"{response.status_code} {response.text[:200]}"
                                                       if response is not None else detail))

    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=60) as client:
        # Warm-up: one of each, not counted.
        for _method, path, body in plan.values():
            url = path.replace("{activity}", targets["activities"][0])
            if body is None:
                await client.get(url)
            else:
                call = json.loads(json.dumps(body).replace("{activity}", targets["activities"][0]))
                await client.post(url, json={"jsonrpc": "2.0", "id": 0, "method": "tools/call", "params": call})
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    for line in samples:
        print("error:", line)
    return {n: {"latencies": latencies[n], "errors": errors[n]} for n in names}


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
    targets = pick_targets(home / "serving" / "openfit.duckdb")
    port = free_port()
    env = {**os.environ, "OPENFIT_HOME": str(home), "OPENFIT_API_RATE_LIMIT_PER_MINUTE": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log", "--timeout-keep-alive", "30"],
        cwd=REPO, env=env, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the API did not start")
            time.sleep(0.2)
        server_process = psutil.Process(server.pid)
        cpu_before = sum(server_process.cpu_times()[:2])
        started = time.perf_counter()
        results = asyncio.run(drive(base, key, targets, args.requests, args.concurrency))
        wall = time.perf_counter() - started
        # Server CPU per request: what the box must supply, independent of other load on a shared machine.
        server_cpu_ms = (sum(server_process.cpu_times()[:2]) - cpu_before) * 1000 / args.requests
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)

    print(f"snapshot: {origin}")
    print(f"{args.requests} requests, {args.concurrency} concurrent clients, {wall:.1f} s "
          f"({args.requests / wall:.0f} req/s), server: 1 uvicorn worker on 127.0.0.1, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; server CPU {server_cpu_ms:.1f} ms per request (incl. warm-up)")
    print(f"{'endpoint':<22}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name, data in results.items():
        lat = data["latencies"]
        print(f"{name:<22}{len(lat):>6}{pct(lat, 50):>10}{pct(lat, 95):>10}{pct(lat, 99):>10}{data['errors']:>8}")
    headline = results["list"]["latencies"] + results["detail"]["latencies"]
    print(json.dumps({
        "benchmark": "api_latency",
        "requests": args.requests,
        "concurrency": args.concurrency,
        "p50_ms": pct(headline, 50),
        "p95_ms": pct(headline, 95),
        "p99_ms": pct(headline, 99),
        "errors": sum(d["errors"] for d in results.values()),
        "throughput_rps": round(args.requests / wall, 1),
        "server_cpu_ms_per_request": round(server_cpu_ms, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "per_endpoint_p95_ms": {n: pct(d["latencies"], 95) for n, d in results.items()},
    }))


if __name__ == "__main__":
    main()
