"""Webhook receiver benchmark: signed notifications, some forged or replayed, posted to the live receiver.

    uv run python benchmarks/webhooks.py                       # 1,000 notifications, 10 % forged or replayed
    uv run python benchmarks/webhooks.py --count 200 --concurrency 2
    uv run python benchmarks/webhooks.py --count 50 --end-to-end   # plus notification -> published data

The receiver runs as `openfit serve` starts it (uvicorn, `ingestion.webhooks.app:create_app`, its own
process) on 127.0.0.1, over a fresh home with connected athletes. Genuine notifications are Oura events
(upper-case hex HMAC of timestamp + body with the client secret) and Strava events (our subscription id),
each unique; the bad share is split between forgeries (Oura signed with another secret, Strava naming
another subscription) and replays (a genuine request sent again, at least 50 requests later).

`ack_ms` is the client-side time from sending a request to its answer. `forged_accepted` counts bad
requests answered 200 (must be 0); `queued` counts the deliveries in the intake queue (must equal `genuine`).
`--end-to-end` then measures, against the mock Strava server, the time from a push event to its activity in
the published snapshot (the webhook sensor's run: sync of that athlete, incremental transform, publish).

Prints a table, then a last JSON line:
{"benchmark": "webhooks", "count", "genuine", "forged", "replayed", "forged_accepted", "queued",
 "ack_ms_p50", "ack_ms_p95", "ack_ms_max", "seconds", "e2e_seconds"}
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import openfit  # noqa: E402,F401  (telemetry off)

OURA_SECRET = "benchmark-oura-client-secret"
VERIFY_TOKEN = "benchmark-verify-token"
SUBSCRIPTION = 777001


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _load_mocks():  # the repo's tests/ folder is shadowed by a third-party `tests` package: load by path
    spec = importlib.util.spec_from_file_location(
        "provider_mock_loader", REPO / "tests/providers/mock_servers/loader.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_mocks()


def _start_receiver(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    import httpx

    from cli.core_cmds import serve_commands
    from openfit.settings import get_settings

    port = _free_port()
    settings = get_settings().model_copy(update={"webhook_port": port})
    proc = subprocess.Popen(
        serve_commands(settings)["webhooks"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the receiver did not answer within 60 s")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _requests(count: int, bad_share: float, athletes: int, rng: random.Random) -> list[dict]:
    """The sequence to post: dicts with provider, body, headers, kind (genuine | forged | replayed)."""
    from ingestion.webhooks.schemes import sign_timestamped

    bad = round(count * bad_share)
    forged, replayed = bad - bad // 2, bad // 2
    genuine = count - bad
    now = int(time.time())
    items: list[dict] = []
    for i in range(genuine):
        if i % 3 == 2:
            event = {
                "aspect_type": "create",
                "event_time": now,
                "object_id": 10_000_000 + i,
                "object_type": "activity",
                "owner_id": 5_000 + i % athletes,
                "subscription_id": SUBSCRIPTION,
                "updates": {},
            }
            items.append(
                {"provider": "strava", "body": json.dumps(event).encode(), "headers": {}, "kind": "genuine"}
            )
        else:
            event = {
                "event_type": "update",
                "data_type": rng.choice(["sleep", "daily_activity", "daily_readiness", "workout"]),
                "object_id": f"doc-{i}",
                "event_time": "2026-12-07T03:00:00+00:00",
                "user_id": f"oura-user-{i % athletes}",
            }
            body = json.dumps(event).encode()
            ts = str(now)
            headers = {
                "x-oura-timestamp": ts,
                "x-oura-signature": sign_timestamped(OURA_SECRET, ts, body, "hex_upper"),
            }
            items.append({"provider": "oura", "body": body, "headers": headers, "kind": "genuine"})
    for i in range(forged):
        event = {
            "event_type": "create",
            "data_type": "sleep",
            "object_id": f"forged-{i}",
            "event_time": "2026-12-07T03:00:00+00:00",
            "user_id": "oura-user-0",
        }
        body = json.dumps(event).encode()
        ts = str(now)
        if i % 2:
            headers = {
                "x-oura-timestamp": ts,
                "x-oura-signature": sign_timestamped("guessed", ts, body, "hex_upper"),
            }
            items.append({"provider": "oura", "body": body, "headers": headers, "kind": "forged"})
        else:
            strava = {
                "aspect_type": "create",
                "event_time": now,
                "object_id": 90_000_000 + i,
                "object_type": "activity",
                "owner_id": 5_000,
                "subscription_id": SUBSCRIPTION + 1,
                "updates": {},
            }
            items.append(
                {"provider": "strava", "body": json.dumps(strava).encode(), "headers": {}, "kind": "forged"}
            )
    rng.shuffle(items)
    # a replay goes at least 50 requests after its original, so the original has been answered
    for _ in range(replayed):
        position = rng.randrange(0, max(1, len(items) - 50))
        original = next(x for x in items[position:] if x["kind"] == "genuine")
        copy = {**original, "kind": "replayed"}
        at = min(len(items), items.index(original) + 50 + rng.randrange(0, 50))
        items.insert(at, copy)
    return items


def run_receiver_benchmark(count: int, bad_share: float, concurrency: int, athletes: int, seed: int) -> dict:
    import httpx

    from ingestion.auth.tokens import TokenStore
    from ingestion.webhooks.intake import Intake

    rng = random.Random(seed)
    store = TokenStore.from_settings()
    for a in range(athletes):
        store.save("oura", f"athlete{a}", {"access_token": "x", "provider_user_id": f"oura-user-{a}"})
        store.save("strava", f"athlete{a}", {"access_token": "x", "provider_user_id": str(5_000 + a)})
    items = _requests(count, bad_share, athletes, rng)
    proc, url = _start_receiver({**os.environ})
    try:
        with httpx.Client(
            base_url=url, timeout=10, limits=httpx.Limits(max_connections=concurrency)
        ) as client:
            for _ in range(20):  # warm the connection pool and the receiver's first imports
                client.get("/healthz")

            def post(item: dict) -> tuple[str, int, float]:
                started = time.perf_counter()
                answer = client.post(
                    f"/webhooks/{item['provider']}", content=item["body"], headers=item["headers"]
                )
                return item["kind"], answer.status_code, (time.perf_counter() - started) * 1000

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                results = list(pool.map(post, items))
            seconds = time.perf_counter() - started
    finally:
        _stop(proc)
    from openfit.settings import get_settings

    intake = Intake.for_home(get_settings().home_dir)
    queued = len(intake.deliveries())
    intake.close()
    acks = sorted(ms for _, _, ms in results)
    kinds = [k for k, _, _ in results]
    return {
        "count": len(results),
        "genuine": kinds.count("genuine"),
        "forged": kinds.count("forged"),
        "replayed": kinds.count("replayed"),
        "genuine_accepted": sum(1 for k, s, _ in results if k == "genuine" and s == 200),
        "forged_accepted": sum(1 for k, s, _ in results if k != "genuine" and s == 200),
        "queued": queued,
        "ack_ms_p50": round(statistics.median(acks), 2),
        "ack_ms_p95": round(acks[int(0.95 * (len(acks) - 1))], 2),
        "ack_ms_max": round(acks[-1], 2),
        "seconds": round(seconds, 2),
    }


def run_end_to_end() -> float:
    """Seconds from a Strava push event to its activity in the published snapshot (mock Strava server)."""
    import dagster as dg
    import duckdb
    import httpx

    from ingestion.auth.tokens import TokenStore
    from openfit.settings import get_settings
    from orchestration.build import run_build
    from orchestration.defs import build_definitions
    from orchestration.defs.webhooks import WEBHOOK_SENSOR
    from orchestration.instance import prepare_instance, writer_tags

    mocks = _load_mocks()
    config = mocks.strava.StravaMockConfig(
        activities=6, limits={"overall": (20_000, 200_000), "read": (10_000, 100_000)}
    )
    with mocks.strava.StravaMock(config) as mock:
        os.environ.update(mock.env())
        for key in ("OPENFIT_OURA_CLIENT_ID", "OPENFIT_OURA_CLIENT_SECRET"):
            os.environ.pop(key, None)
        get_settings.cache_clear()
        token = mock.issue_tokens(athlete_id=mock.cfg.athlete, scope="read,activity:read_all")
        TokenStore.from_settings().save("strava", "me", {**token, "provider_user_id": str(mock.cfg.athlete)})
        report = run_build()
        if not report.success:
            raise SystemExit(f"first build failed: {report.failure}")
        new = mock.add_activity()
        proc, url = _start_receiver({**os.environ})
        try:
            started = time.perf_counter()
            event = {
                "aspect_type": "create",
                "event_time": int(time.time()),
                "object_id": new["id"],
                "object_type": "activity",
                "owner_id": mock.cfg.athlete,
                "subscription_id": SUBSCRIPTION,
                "updates": {},
            }
            assert httpx.post(f"{url}/webhooks/strava", json=event, timeout=10).status_code == 200
        finally:
            _stop(proc)
        # the daemon's part, in this process: a sensor tick, the run it requests, the tick that settles it
        prepare_instance(get_settings())
        defs = build_definitions()
        sensor = defs.resolve_sensor_def(WEBHOOK_SENSOR)
        instance = dg.DagsterInstance.get()
        [request] = sensor(dg.build_sensor_context(instance=instance, definitions=defs)).run_requests
        run = defs.resolve_job_def(request.job_name).execute_in_process(
            instance=instance, run_config=request.run_config, tags={**request.tags, **writer_tags()}
        )
        seconds = time.perf_counter() - started
        if not run.success:
            raise SystemExit("the webhook run failed")
        snapshot = get_settings().home_dir / "serving" / "snapshot.duckdb"
        with duckdb.connect(str(snapshot), read_only=True) as con:
            found = con.execute(
                "select count(*) from openfit.activity_recordings where recording_id = ?",
                [f"strava:{new['id']}"],
            ).fetchone()[0]
        if found != 1:
            raise SystemExit("the new activity is not in the published snapshot")
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--bad-share", type=float, default=0.10, help="share forged or replayed")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight")
    parser.add_argument("--athletes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--end-to-end", action="store_true", help="also time notification -> published data")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="openfit-webhooks-") as tmp:
        from cryptography.fernet import Fernet

        os.environ.update(
            {
                "OPENFIT_HOME": str(Path(tmp) / "home"),
                "OPENFIT_SECRET_KEY": Fernet.generate_key().decode(),
                "OPENFIT_OURA_CLIENT_ID": "benchmark",
                "OPENFIT_OURA_CLIENT_SECRET": OURA_SECRET,
                "OPENFIT_OURA_WEBHOOK_VERIFICATION_TOKEN": VERIFY_TOKEN,
                "OPENFIT_STRAVA_WEBHOOK_VERIFY_TOKEN": VERIFY_TOKEN,
                "OPENFIT_STRAVA_WEBHOOK_SUBSCRIPTION_ID": str(SUBSCRIPTION),
                "OPENFIT_SYNTHETIC_ATHLETES": "1",
                "OPENFIT_SYNTHETIC_DAYS": "7",
                "OPENFIT_SYNTHETIC_END_DATE": "2026-06-30",
            }
        )
        result = run_receiver_benchmark(
            args.count, args.bad_share, args.concurrency, args.athletes, args.seed
        )
        result["e2e_seconds"] = None
        if args.end_to_end:
            os.environ["OPENFIT_HOME"] = str(Path(tmp) / "e2e-home")
            result["e2e_seconds"] = round(run_end_to_end(), 1)

    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(json.dumps({"benchmark": "webhooks", **result}))
    if result["forged_accepted"] or result["queued"] != result["genuine"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
