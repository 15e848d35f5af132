"""One key cannot starve the others: concurrency limits per key on heavy MCP tools, open GET /mcp streams and
exports (api/limits.py), answered 429 with Retry-After; the slots are given back however a call ends."""

from __future__ import annotations

import threading
import time

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import ApiError
from api.keys import KeyStore
from api.limits import ConcurrencyLimit
from api.routers.export import ReleasingIterator
from openfit.settings import get_settings

SLOW_SQL = "SELECT count(*) FROM range(1000000000) a, range(100000) b"  # runs until the time limit


def mcp_call(client: TestClient, key: str, tool: str, arguments: dict):
    return client.post(
        "/mcp",
        headers={"Authorization": f"Bearer {key}", "Accept": "application/json, text/event-stream"},
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": tool, "arguments": arguments},
        },
    )


def key_id(settings, key: str) -> str:
    return KeyStore.for_home(settings.home_dir).verify(key).key_id


@pytest.fixture
def limited(settings, monkeypatch):
    """An app with one heavy call and two streams per key, a 2 s query_sql time limit."""
    monkeypatch.setenv("OPENFIT_API_HEAVY_CALLS_PER_KEY", "1")
    monkeypatch.setenv("OPENFIT_API_MCP_STREAMS_PER_KEY", "2")
    monkeypatch.setenv("OPENFIT_API_SQL_TIMEOUT_S", "2")
    get_settings.cache_clear()
    app = create_app(None, rate_limit_per_minute=None)
    # The MCP transport only answers the loopback host names (DNS-rebinding protection).
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield app, client


def test_a_limit_counts_per_key_and_in_total():
    limit = ConcurrencyLimit("calls", per_key=2, total=3, retry_after_s=5)
    limit.acquire("a")
    limit.acquire("a")
    with pytest.raises(ApiError) as refused:
        limit.acquire("a")
    assert refused.value.status == 429 and refused.value.headers == {"Retry-After": "5"}
    limit.acquire("b")
    with pytest.raises(ApiError, match="server already has 3"):
        limit.acquire("c")
    limit.release("a")
    limit.acquire("c")
    assert (limit.in_progress("a"), limit.in_progress(), limit.in_progress("c")) == (1, 3, 1)


def test_a_keys_running_heavy_calls_refuse_its_next_one_but_not_another_keys(limited, settings, keys):
    app, client = limited
    heavy = app.state.read_limits.heavy_calls
    first: dict = {}
    runner = threading.Thread(
        target=lambda: first.update(r=mcp_call(client, keys.ath_1, "query_sql", {"sql": SLOW_SQL}))
    )
    runner.start()
    deadline = time.monotonic() + 10
    while heavy.in_progress(key_id(settings, keys.ath_1)) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        second = mcp_call(client, keys.ath_1, "query_sql", {"sql": "SELECT 1"})
        assert second.status_code == 429 and second.headers["retry-after"] == "2"
        assert second.json()["error"]["code"] == "rate_limited"
        # The same key's light tools, and another key's heavy ones, still run.
        assert mcp_call(client, keys.ath_1, "list_athletes", {}).status_code == 200
        other = mcp_call(client, keys.ath_2, "query_sql", {"sql": "SELECT 1 AS one"})
        assert other.status_code == 200 and 'isError":false' in other.text.replace(" ", "")
        assert client.get("/v1/athletes", headers=keys.auth(keys.ath_2)).status_code == 200
    finally:
        runner.join(timeout=30)
    assert "time limit" in first["r"].text
    assert heavy.in_progress() == 0  # given back after the time limit
    assert mcp_call(client, keys.ath_1, "query_sql", {"sql": "SELECT 1"}).status_code == 200


def test_open_streams_are_bounded_per_key(limited, settings, keys):
    app, client = limited
    streams = app.state.read_limits.mcp_streams
    mine = key_id(settings, keys.ath_1)
    streams.acquire(mine)
    streams.acquire(mine)  # two streams open (the limit)
    try:
        refused = client.get("/mcp", headers={**keys.auth(keys.ath_1), "Accept": "text/event-stream"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    finally:
        streams.release(mine)
        streams.release(mine)
    assert streams.in_progress() == 0


def test_a_refused_or_oversized_mcp_request_holds_no_slot(limited, keys):
    app, client = limited
    big = client.post(
        "/mcp",
        headers={**keys.auth(keys.ath_1), "Accept": "application/json, text/event-stream"},
        content=b"x" * (2 << 20),
    )
    assert big.status_code == 413
    assert app.state.read_limits.heavy_calls.in_progress() == 0


def test_exports_are_limited_per_key_and_the_slot_comes_back(settings, keys):
    app = create_app(settings, rate_limit_per_minute=None)
    exports = app.state.read_limits.exports
    with TestClient(app) as client:
        admin = key_id(settings, keys.admin)
        exports.acquire(admin)  # an export of this key is streaming
        try:
            refused = client.get("/v1/export", headers=keys.auth(keys.admin))
            assert refused.status_code == 429 and "retry-after" in refused.headers
            other = client.get("/v1/export", headers=keys.auth(keys.ath_1))
            assert other.status_code == 200 and other.content[:2] == b"PK"
        finally:
            exports.release(admin)
        assert exports.in_progress() == 0
        assert client.get("/v1/export", headers=keys.auth(keys.admin)).status_code == 200
        assert exports.in_progress() == 0


def test_an_export_dropped_before_its_first_chunk_gives_its_slot_back():
    limit = ConcurrencyLimit("exports", per_key=1, total=1, retry_after_s=30)
    limit.acquire("k")
    chunks = ReleasingIterator(iter([b"a", b"b"]), lambda: limit.release("k"))
    del chunks
    assert limit.in_progress() == 0
    limit.acquire("k")
    drained = ReleasingIterator(iter([b"a"]), lambda: limit.release("k"))
    assert list(drained) == [b"a"] and limit.in_progress() == 0


@pytest.mark.skipif(__import__("sys").platform != "linux", reason="per-thread nice values are Linux's")
def test_heavy_work_runs_at_a_lower_priority_than_the_callers():
    import os

    from api.limits import HEAVY_NICENESS, run_heavy

    def my_niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    assert run_heavy(2, my_niceness) == min(19, my_niceness() + HEAVY_NICENESS) > my_niceness()
