"""Provider sync benchmark: a full-history backfill against the local mock, at the rate-limit ceiling.

    uv run python benchmarks/provider_sync.py                      # Strava: 1,500 activities with streams
    uv run python benchmarks/provider_sync.py --activities 300 --details --laps
    uv run python benchmarks/provider_sync.py --provider withings  # Withings: 400 days, ~1,600 documents
    uv run python benchmarks/provider_sync.py --provider whoop --records 1000
    uv run python benchmarks/provider_sync.py --provider polar --athletes 2

Withings (`--provider withings`): the mock Withings (tests/providers/mock_servers/withings.py) serves `--days`
days of measures, daily activity, sleep summaries and workouts in pages of `--page-size`, and enforces
Withings' 120 requests per window with a scaled clock: the window is `--window` seconds instead of 60 (default
6 s, i.e. 10x real time); over the limit it answers HTTP 200 with body status 601. The client paces itself to
the same 120 per `--window` (OPENFIT_WITHINGS_RATE_WINDOW_S). The table and JSON report the same figures
(`activities` = documents loaded); `http_429` counts the 601 answers. Windows are aligned to the clock, so a
run a few windows long can exceed 1.0 utilization (its first and last windows are partial).

WHOOP (`--provider whoop`): the mock WHOOP (tests/providers/mock_servers/whoop.py) serves `--records` records
(cycles, recoveries, sleeps, workouts; about 3.7 a day) and enforces WHOOP's limits scaled in time and count:
`--limit` requests per `--window` seconds for the minute (WHOOP: 100 / 60 s) and 100 times that per 1,440
windows for the day (WHOOP: 10,000 / day), answering 429 + Retry-After beyond them; the client is told the same
scaled limits, as it is told WHOOP's documented ones in production. A sequential backfill of 1,000 records
needs about 70 requests, so the defaults (10 per 2 s) make the minute limit bind. The production sync (token store, limiter paced at the documented limits,
`start`/`end` windows, `nextToken` paging with limit 25, dlt into DuckDB) runs unchanged. Its last JSON line:
{"benchmark": "provider_sync", "provider": "whoop", "records", "requests", "seconds", "ceiling_utilization",
"http_429", "duplicates"}.

Polar (`--provider polar`): the mock AccessLink (tests/providers/mock_servers/polar.py) serves a year of data
(registered 365 days ago: daily activity and continuous heart rate per day, the last 28 nights and Nightly
Recharges, the last 30 days of exercises) to `--athletes` connected athletes, one after another through the
one per-app limiter, and enforces AccessLink's per-app limits scaled in time and count: `--limit` requests per
`--window` seconds for the 15 minutes (Polar: 500 + 20 x users / 900 s) and 10 times that per 96 windows for
the day; the client learns the limits from the mock's RateLimit headers, as from Polar's. The production sync
runs unchanged except `windows_per_run` = 14 (a year of 28-day windows in one dlt load per athlete). A year
costs only ~32 requests per athlete, so the defaults (1 request per 1 s) keep the limit binding; dlt's load
pauses (about 2 s per athlete) are what keeps utilization below 1. Last
JSON line: {"benchmark": "provider_sync", "provider": "polar", "records", "requests", "seconds",
"ceiling_utilization", "http_429", "duplicates"}.

The mock Strava (tests/providers/mock_servers/strava.py, a real HTTP server on 127.0.0.1) serves a synthetic
multi-year history with 50-150 ms latency per request and Strava's rate limits scaled in time: a 15-second
"short" window and a 96-window "day", with the real read/overall ratios (100/1,000 and 200/2,000 per 15 min
and day) multiplied by `--scale`. The production code path runs unchanged (OAuth token store, header-paced
limiter, dlt pipeline into DuckDB); only base URLs and window lengths differ.

`ceiling_utilization` = achieved request rate / the short read window's ceiling (limit / window length), over
the whole backfill including dlt's normalise/load pauses. `http_429` counts 429s the mock sent; `duplicates`
counts rows beyond one per primary key across the raw tables.

Prints a table, then a last JSON line:
{"benchmark": "provider_sync", "activities", "requests", "seconds", "ceiling_utilization", "http_429", "duplicates"}
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import openfit  # noqa: E402,F401  (telemetry off)


def _load_mocks():  # the repo's tests/ folder is shadowed by a third-party `tests` package: load by path
    spec = importlib.util.spec_from_file_location(
        "provider_mock_loader", REPO / "tests/providers/mock_servers/loader.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_mocks()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", choices=sorted([*PROVIDERS, "whoop", "polar"]), default="strava")
    parser.add_argument("--activities", type=int, default=1500)
    parser.add_argument("--records", type=int, default=1000, help="WHOOP: records in the mock history")
    parser.add_argument(
        "--limit", type=int, default=None, help="WHOOP / Polar: requests per short window (default 10 / 1)"
    )
    parser.add_argument("--athletes", type=int, default=2, help="Polar: connected athletes")
    parser.add_argument(
        "--window",
        type=float,
        default=None,
        help="short rate-limit window, seconds (default: Strava 15 for 900, Withings 6 for 60, WHOOP 2 for 60)",
    )
    parser.add_argument(
        "--scale", type=int, default=3, help="multiplies Strava's 100/1,000 read, 200/2,000 overall limits"
    )
    parser.add_argument("--latency", type=float, nargs=2, default=(0.05, 0.15), metavar=("MIN", "MAX"))
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--chunk", type=int, default=300, help="activities per dlt load")
    parser.add_argument("--details", action="store_true", help="also fetch activity detail")
    parser.add_argument("--laps", action="store_true", help="also fetch laps")
    parser.add_argument("--home", type=Path, default=None, help="OPENFIT_HOME (default: a temporary folder)")
    parser.add_argument("--days", type=int, default=400, help="withings: days of history")
    parser.add_argument("--page-size", type=int, default=10, help="withings: documents per page")
    args = parser.parse_args()
    if args.provider == "whoop":
        args.limit = args.limit or 10
        run_whoop(args)
        return
    if args.provider == "polar":
        args.limit = args.limit or 1
        run_polar(args)
        return
    if args.window is None:
        args.window = (
            6.0 if args.provider == "withings" else 15.0
        )  # Withings: its 60-second window, 10x faster
    if args.provider == "withings" and "--latency" not in sys.argv:
        args.latency = (0.005, 0.02)

    home = args.home or Path(tempfile.mkdtemp(prefix="openfit-provider-sync-"))
    os.environ["OPENFIT_HOME"] = str(home)
    os.environ.pop("OPENFIT_SECRET_KEY", None)
    PROVIDERS[args.provider](args, _load_mocks())


def _report(rows: list[tuple[str, object]], result: dict[str, object]) -> None:
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(json.dumps({"benchmark": "provider_sync", **result}))


def strava(args: argparse.Namespace, mocks) -> None:  # noqa: ANN001
    read_limits = (100 * args.scale, 1000 * args.scale)
    config = mocks.strava.StravaMockConfig(
        activities=args.activities,
        latency_s=tuple(args.latency),
        window_lengths_s=(args.window, args.window * 96),
        limits={"overall": (200 * args.scale, 2000 * args.scale), "read": read_limits},
        # ~6 years of history, one activity every ~1.5 days
        days_between=max(0.2, 6 * 365 / max(args.activities, 1)),
    )
    requests_needed = args.activities * (1 + args.details + args.laps) + args.activities // 200 + 3
    if requests_needed > read_limits[1]:
        print(
            f"note: {requests_needed} requests exceed the scaled daily read limit {read_limits[1]}; "
            "the run will stop at the daily limit (raise --scale)",
            file=sys.stderr,
        )

    from ingestion.auth.tokens import TokenStore
    from ingestion.pipelines import provider_pipeline
    from ingestion.sources.strava import StravaSettings, make_client, sync_strava
    from openfit.settings import get_settings

    with mocks.strava.StravaMock(config) as mock:
        os.environ.update(mock.env())
        get_settings.cache_clear()
        token = mock.issue_tokens(scope="read,activity:read_all,profile:read_all")
        TokenStore.from_settings().save(
            "strava", "me", {k: token[k] for k in ("access_token", "refresh_token", "expires_at")}
        )
        settings = StravaSettings(workers=args.workers, chunk_activities=args.chunk)
        client = make_client(settings, "me")
        pipeline = provider_pipeline("strava")
        started = time.perf_counter()
        summary = sync_strava(
            pipeline,
            "me",
            settings,
            client=client,
            include_details=args.details,
            include_laps=args.laps,
            include_streams=True,
        )
        seconds = time.perf_counter() - started
        client.close()
        requests = mock.stats["api_requests"]
        http_429 = mock.stats["http_429"]

    import duckdb

    tables = {"activities": "activity_id", "activity_streams": "activity_id"}
    if args.details:
        tables["activity_details"] = "activity_id"
    if args.laps:
        tables["laps"] = "activity_id, lap_index"
    duplicates = 0
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        counts = {}
        for table, key in tables.items():
            total, distinct = con.execute(
                f"select count(*), count(distinct ({key})) from raw_strava.{table}"
            ).fetchone()
            counts[table] = total
            duplicates += total - distinct
        activities = con.execute("select count(distinct activity_id) from raw_strava.activities").fetchone()[
            0
        ]

    ceiling = read_limits[0] / args.window
    utilization = requests / seconds / ceiling
    rows = [
        ("activities loaded", f"{activities} / {args.activities}"),
        ("rows per table", ", ".join(f"{t}={n}" for t, n in counts.items())),
        ("requests (mock)", requests),
        ("dlt loads", summary["runs"]),
        ("seconds", f"{seconds:.1f}"),
        ("achieved req/s", f"{requests / seconds:.2f}"),
        ("ceiling req/s", f"{ceiling:.2f}  ({read_limits[0]} reads / {args.window:g} s)"),
        ("ceiling utilization", f"{utilization:.3f}"),
        ("HTTP 429 sent", http_429),
        ("duplicates", duplicates),
        ("limiter waited s", f"{client.limiter.waited_s:.1f}"),
    ]
    _report(
        rows,
        {
            "activities": activities,
            "requests": requests,
            "seconds": round(seconds, 2),
            "ceiling_utilization": round(utilization, 3),
            "http_429": http_429,
            "duplicates": duplicates,
        },
    )


def withings(args: argparse.Namespace, mocks) -> None:  # noqa: ANN001
    limit = 120  # Withings: 120 requests per minute; the window is scaled to --window seconds
    config = mocks.withings.WithingsMockConfig(
        days=args.days,
        page_size=args.page_size,
        latency_s=tuple(args.latency),
        window_lengths_s=(args.window, args.window * 1440),
        limits={"overall": (limit, 10**9)},
    )
    from datetime import timedelta

    from ingestion.auth.tokens import TokenStore
    from ingestion.pipelines import provider_pipeline
    from ingestion.sources.withings import WithingsSettings, make_client, sync_withings
    from ingestion.sources.withings.source import ENDPOINTS
    from openfit.settings import get_settings

    with mocks.withings.WithingsMock(config) as mock:
        os.environ.update(mock.env())
        get_settings.cache_clear()
        token = mock.issue_tokens(scope="user.info,user.metrics,user.activity")
        TokenStore.from_settings().save(
            "withings", "me", {k: token[k] for k in ("access_token", "refresh_token", "expires_at")}
        )
        settings = WithingsSettings(
            rate_limit=limit,
            rate_window_s=args.window,
            backfill_since=config.first_day - timedelta(days=1),
        )
        client = make_client(settings, "me")
        pipeline = provider_pipeline("withings")
        started = time.perf_counter()
        summary = sync_withings(pipeline, "me", settings, client=client, today=mock.last_day)
        seconds = time.perf_counter() - started
        client.close()
        requests = mock.stats["api_requests"]
        http_429 = mock.stats["http_429"]
        expected = len(mock.measuregrps) + len(mock.activities) + len(mock.sleep) + len(mock.workouts)

    import duckdb

    duplicates, counts = 0, {}
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        for endpoint in ENDPOINTS:
            total, distinct = con.execute(
                f"select count(*), count(distinct (athlete, id)) from raw_withings.{endpoint.table}"
            ).fetchone()
            counts[endpoint.table] = total
            duplicates += total - distinct
    documents = sum(counts.values())
    ceiling = limit / args.window
    utilization = requests / seconds / ceiling
    rows = [
        ("documents loaded", f"{documents} / {expected}"),
        ("rows per table", ", ".join(f"{t}={n}" for t, n in counts.items())),
        ("requests (mock)", requests),
        ("dlt loads", summary["runs"]),
        ("seconds", f"{seconds:.1f}"),
        ("achieved req/s", f"{requests / seconds:.2f}"),
        ("ceiling req/s", f"{ceiling:.2f}  ({limit} requests / {args.window:g} s; Withings: 120 / 60 s)"),
        ("ceiling utilization", f"{utilization:.3f}"),
        ("status 601 sent", http_429),
        ("duplicates", duplicates),
        ("limiter waited s", f"{client.limiter.waited_s:.1f}"),
    ]
    _report(
        rows,
        {
            "provider": "withings",
            "activities": documents,
            "requests": requests,
            "seconds": round(seconds, 2),
            "ceiling_utilization": round(utilization, 3),
            "http_429": http_429,
            "duplicates": duplicates,
        },
    )


# provider -> benchmark run (argparse namespace, mock modules)
def run_whoop(args: argparse.Namespace) -> None:
    from datetime import date, timedelta

    window = args.window if args.window is not None else 2.0
    home = args.home or Path(tempfile.mkdtemp(prefix="openfit-provider-sync-"))
    os.environ["OPENFIT_HOME"] = str(home)
    os.environ.pop("OPENFIT_SECRET_KEY", None)
    mocks = _load_mocks()
    days = max(2, round(args.records / (3 + 0.7)))
    short_limit, long_limit = args.limit, args.limit * 100  # WHOOP: 100 per minute, 10,000 per day
    config = mocks.whoop.WhoopMockConfig(
        days=days,
        first_day=date(2026, 1, 1) - timedelta(days=days),
        latency_s=tuple(args.latency),
        window_lengths_s=(window, window * 1440),
        limits={"overall": (short_limit, long_limit)},
    )

    from ingestion.auth.tokens import TokenStore
    from ingestion.pipelines import provider_pipeline
    from ingestion.sources.whoop import WhoopSettings, make_client, sync_whoop
    from ingestion.sources.whoop.settings import DEFAULT_SCOPES
    from ingestion.sources.whoop.source import COLLECTIONS
    from openfit.settings import get_settings

    with mocks.whoop.WhoopMock(config) as mock:
        os.environ.update(mock.env())
        # the first cycle and sleep start the evening before the first day
        os.environ["OPENFIT_WHOOP_BACKFILL_SINCE"] = (config.first_day - timedelta(days=1)).isoformat()
        get_settings.cache_clear()
        token = mock.issue_tokens(scope=DEFAULT_SCOPES)
        TokenStore.from_settings().save(
            "whoop",
            "me",
            {k: token[k] for k in ("access_token", "refresh_token", "scope")} | {"expires_at": None},
        )
        settings = WhoopSettings()
        client = make_client(settings, "me")
        pipeline = provider_pipeline("whoop")
        started = time.perf_counter()
        summary = sync_whoop(pipeline, "me", settings, client=client, today=mock.last_day)
        seconds = time.perf_counter() - started
        client.close()
        requests = mock.stats["api_requests"]
        http_429 = mock.stats["http_429"]
        expected = mock.record_count

    import duckdb

    duplicates, counts = 0, {}
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        for table, (_path, key, _field) in COLLECTIONS.items():
            total, distinct = con.execute(
                f"select count(*), count(distinct {key}) from raw_whoop.{table}"
            ).fetchone()
            counts[table] = total
            duplicates += total - distinct
    records = sum(counts.values())
    ceiling = short_limit / window
    utilization = requests / seconds / ceiling
    rows = [
        ("records loaded", f"{records} / {expected}"),
        ("rows per table", ", ".join(f"{t}={n}" for t, n in counts.items())),
        ("requests (mock)", requests),
        ("dlt loads", summary["runs"]),
        ("seconds", f"{seconds:.1f}"),
        ("achieved req/s", f"{requests / seconds:.2f}"),
        ("ceiling req/s", f"{ceiling:.2f}  ({short_limit} requests / {window:g} s; WHOOP: 100 / 60 s)"),
        ("ceiling utilization", f"{utilization:.3f}"),
        ("HTTP 429 sent", http_429),
        ("duplicates", duplicates),
        ("limiter waited s", f"{client.limiter.waited_s:.1f}"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(
        json.dumps(
            {
                "benchmark": "provider_sync",
                "provider": "whoop",
                "records": records,
                "requests": requests,
                "seconds": round(seconds, 2),
                "ceiling_utilization": round(utilization, 3),
                "http_429": http_429,
                "duplicates": duplicates,
            }
        )
    )


def run_polar(args: argparse.Namespace) -> None:
    window = args.window if args.window is not None else 1.0
    home = args.home or Path(tempfile.mkdtemp(prefix="openfit-provider-sync-"))
    os.environ["OPENFIT_HOME"] = str(home)
    os.environ.pop("OPENFIT_SECRET_KEY", None)
    mocks = _load_mocks()
    short_limit, long_limit = args.limit, args.limit * 10 * 96  # never binding within a run
    config = mocks.polar.PolarMockConfig(
        days=366,
        registered_days_ago=365,
        latency_s=tuple(args.latency),
        window_lengths_s=(window, window * 96),
        limits={"overall": (short_limit, long_limit)},
    )

    from ingestion.auth.tokens import TokenStore
    from ingestion.pipelines import provider_pipeline
    from ingestion.sources.polar import PolarSettings, make_client, sync_polar
    from ingestion.sources.polar.source import RANGED
    from openfit.settings import get_settings

    tables = ("user", "exercise", "sleep", "nightly_recharge", *RANGED)
    with mocks.polar.PolarMock(config) as mock:
        os.environ.update(mock.env())
        os.environ["OPENFIT_POLAR_WINDOWS_PER_RUN"] = "14"
        get_settings.cache_clear()
        mock.register_directly()
        athletes = [f"athlete{i + 1}" for i in range(args.athletes)]
        for athlete in athletes:
            token = mock.issue_tokens()
            TokenStore.from_settings().save(
                "polar",
                athlete,
                {
                    "access_token": token["access_token"],
                    "expires_at": None,
                    "provider_user_id": str(token["x_user_id"]),
                },  # fmt: skip
            )
        settings = PolarSettings()
        pipeline = provider_pipeline("polar")
        runs, waited = 0, 0.0
        started = time.perf_counter()
        for athlete in athletes:
            client = make_client(settings, athlete)
            summary = sync_polar(pipeline, athlete, settings, client=client, today=config.today)
            runs += summary["runs"]
            waited = client.limiter.waited_s  # one limiter per app: the total so far
            client.close()
        seconds = time.perf_counter() - started
        requests = mock.stats["api_requests"]
        http_429 = mock.stats["http_429"]

    import duckdb

    keys = {"user": "athlete", "exercise": "athlete, id"}
    duplicates, counts = 0, {}
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        for table in tables:
            key = keys.get(table, "athlete, date")
            total, distinct = con.execute(
                f"select count(*), count(distinct ({key})) from raw_polar.{table}"
            ).fetchone()
            counts[table] = total
            duplicates += total - distinct
    records = sum(counts.values())
    ceiling = short_limit / window
    utilization = requests / seconds / ceiling
    rows = [
        ("records loaded", records),
        ("rows per table", ", ".join(f"{t}={n}" for t, n in counts.items())),
        ("athletes", len(athletes)),
        ("requests (mock)", requests),
        ("dlt loads", runs),
        ("seconds", f"{seconds:.1f}"),
        ("achieved req/s", f"{requests / seconds:.2f}"),
        (
            "ceiling req/s",
            f"{ceiling:.2f}  ({short_limit} requests / {window:g} s; Polar: 500 + 20 x users / 900 s)",
        ),
        ("ceiling utilization", f"{utilization:.3f}"),
        ("HTTP 429 sent", http_429),
        ("duplicates", duplicates),
        ("limiter waited s", f"{waited:.1f}"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(
        json.dumps(
            {
                "benchmark": "provider_sync",
                "provider": "polar",
                "records": records,
                "requests": requests,
                "seconds": round(seconds, 2),
                "ceiling_utilization": round(utilization, 3),
                "http_429": http_429,
                "duplicates": duplicates,
            }
        )
    )


PROVIDERS = {"strava": strava, "withings": withings}


if __name__ == "__main__":
    main()
