"""Real servers: uvicorn on 127.0.0.1 (REST and MCP over streamable HTTP) and the stdio MCP server."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import httpx
import httpx2
import pytest
from api_testkit import make_home, make_keys, running_api
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The API started the way `openfit serve` starts it, on a free loopback port."""
    home = make_home(tmp_path_factory.mktemp("live_home"))
    keys = make_keys(home)
    with running_api(home) as (base, _server):
        yield base, keys, home


def test_rest_over_loopback(live):
    base, keys, _ = live
    with httpx.Client(base_url=base, timeout=10) as http:
        assert http.get("/v1/athletes").status_code == 401
        mine = http.get("/v1/athletes", headers=keys.auth(keys.ath_1))
        assert [a["athlete_id"] for a in mine.json()] == ["ath_1"]
        assert http.get("/v1/activities/act_2_1", headers=keys.auth(keys.ath_1)).status_code == 404
        assert http.get("/v1/activities/act_2_1", headers=keys.auth(keys.ath_2)).status_code == 200
        assert http.get("/openapi.json").json()["info"]["title"] == "OpenFit API"
        export = http.get("/v1/export", headers=keys.auth(keys.ath_2))
        assert export.status_code == 200 and export.content[:2] == b"PK"


def _mcp_http(base: str, key: str | None):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client(
        streamable_http_client(f"{base}/mcp", http_client=httpx2.AsyncClient(headers=headers, timeout=30))
    )


def test_mcp_over_http_uses_the_keys_scope(live):
    base, keys, _ = live

    async def session(key):
        async with _mcp_http(base, key) as client:
            tools = (await client.list_tools()).tools
            athletes = await client.call_tool("list_athletes", {})
            other = await client.call_tool("get_activity", {"activity_id": "act_2_1"})
            return tools, athletes, other

    tools, athletes, other = asyncio.run(session(keys.ath_1))
    assert len(tools) == 18 and all(t.annotations.read_only_hint for t in tools)
    assert [a["athlete_id"] for a in athletes.structured_content["result"]] == ["ath_1"]
    assert other.is_error is True
    _, athletes_2, other_2 = asyncio.run(session(keys.ath_2))
    assert [a["athlete_id"] for a in athletes_2.structured_content["result"]] == ["ath_2"]
    assert other_2.is_error is False


@pytest.mark.parametrize("key", [None, "of_bad_key", "revoked"])
def test_mcp_over_http_refuses_without_a_valid_key(live, key):
    base, keys, _ = live
    token = getattr(keys, key) if key == "revoked" else key
    response = httpx.post(
        f"{base}/mcp",
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        headers={"Authorization": f"Bearer {token}"} if token else {},
        timeout=10,
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_mcp_over_stdio(live):
    _, _, home = live
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "api.mcp", "--athlete", "ath_2"],
        cwd=str(REPO),
        env={**os.environ, "OPENFIT_HOME": str(home)},
    )

    async def session():
        async with Client(params) as client:
            tools = (await client.list_tools()).tools
            athletes = await client.call_tool("list_athletes", {})
            sql = await client.call_tool(
                "query_sql", {"sql": "SELECT count(*) AS n FROM openfit.sleep_sessions"}
            )
            return tools, athletes, sql

    tools, athletes, sql = asyncio.run(session())
    assert {t.name for t in tools} >= {"list_athletes", "query_sql", "correlate_metrics"}
    assert [a["athlete_id"] for a in athletes.structured_content["result"]] == ["ath_2"]
    assert sql.structured_content["rows"] == [[30]]


def test_open_mcp_streams_are_bounded_per_key_and_freed_on_disconnect(live):
    from contextlib import ExitStack

    base, keys, _ = live
    headers = {**keys.auth(keys.ath_1), "Accept": "text/event-stream"}
    with httpx.Client(base_url=base, timeout=10) as http:
        for _ in range(2):  # the second round only gets its streams if the first round's were given back
            with ExitStack() as open_streams:
                statuses = [
                    open_streams.enter_context(http.stream("GET", "/mcp", headers=headers)).status_code
                    for _ in range(4)
                ]
                refused = http.get("/mcp", headers=headers)
                other_key = http.get("/v1/athletes", headers=keys.auth(keys.ath_2))
            assert statuses == [200] * 4
            assert refused.status_code == 429 and "retry-after" in refused.headers
            assert other_key.status_code == 200
            time.sleep(0.5)
