"""The WHOOP dlt source against the mock API: every collection, nextToken paging with limit <= 25, chunked
start/end windows, re-sync without duplicates, token refresh with the `offline` scope, pacing and 429s."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import pytest

from ingestion.auth.tokens import TokenStore
from ingestion.pipelines import provider_pipeline
from ingestion.sources.whoop import WhoopSettings, make_client, sync_whoop
from ingestion.sources.whoop.settings import DEFAULT_SCOPES
from ingestion.sources.whoop.source import COLLECTIONS
from openfit.settings import get_settings

from .mock_servers.whoop import WhoopMock


def _connect_directly(mock: WhoopMock, scope: str = DEFAULT_SCOPES) -> dict:
    token = mock.issue_tokens(scope=scope)
    expires_at = token.get("expires_at") or 0
    stored = {k: token[k] for k in ("access_token", "refresh_token", "scope") if k in token}
    stored["expires_at"] = expires_at or None
    TokenStore.from_settings().save("whoop", "me", stored)
    return token


def _query(sql: str) -> list[tuple]:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _sync(mock: WhoopMock, monkeypatch, **env: str) -> dict:
    monkeypatch.setenv("OPENFIT_WHOOP_BACKFILL_SINCE", (mock.cfg.first_day - timedelta(days=3)).isoformat())
    for key, value in env.items():
        monkeypatch.setenv(f"OPENFIT_WHOOP_{key.upper()}", value)
    settings = WhoopSettings()
    client = make_client(settings, "me")
    try:
        return sync_whoop(provider_pipeline("whoop"), "me", settings, client=client, today=mock.last_day)
    finally:
        client.close()


def _assert_matches_mock(mock: WhoopMock) -> None:
    for table, (_path, key, id_field) in COLLECTIONS.items():
        expected = {d[id_field]: d for d in mock.docs[table]}
        rows = _query(f"select {key}, payload from raw_whoop.{table}")
        assert len(rows) == len(expected), table
        assert {r[0] for r in rows} == set(expected), table
        for doc_id, payload in rows:
            assert json.loads(payload) == expected[doc_id]  # verbatim
    assert _query("select count(*) from raw_whoop.profile")[0][0] == 1
    assert _query("select count(*) from raw_whoop.body_measurement")[0][0] == 1


def test_backfill_in_windows_with_paging_then_resync_adds_nothing(whoop_mock: WhoopMock, monkeypatch) -> None:
    _connect_directly(whoop_mock)
    first = _sync(whoop_mock, monkeypatch, window_days="10", windows_per_run="2", page_limit="4")
    assert first["runs"] == 2  # 33 days in 10-day windows, 2 windows per load
    _assert_matches_mock(whoop_mock)
    queries = [q for _m, p, q in whoop_mock.requests_log if p in ("/v2/cycle", "/v2/activity/sleep")]
    assert queries and all(int(q["limit"]) <= 25 for q in queries)
    assert any("nextToken" in q for q in queries)  # paging was exercised
    before = _query("select count(*) from raw_whoop.cycle")[0][0]
    second = _sync(whoop_mock, monkeypatch)
    assert second["runs"] == 1
    assert _query("select count(*) from raw_whoop.cycle")[0][0] == before
    _assert_matches_mock(whoop_mock)
    # the re-sync asks only for the look-back days (3 before the first day not yet loaded), not the history
    last = [q for _m, p, q in whoop_mock.requests_log[-8:] if p == "/v2/cycle"]
    resume_day = whoop_mock.last_day + timedelta(days=1)
    assert last and last[-1]["start"] == f"{(resume_day - timedelta(days=3)).isoformat()}T00:00:00Z"


def test_expired_access_token_is_refreshed_with_the_offline_scope(whoop_mock: WhoopMock, monkeypatch) -> None:
    _connect_directly(whoop_mock)
    whoop_mock.expire_access_tokens()  # the API answers 401: refresh once, then carry on
    _sync(whoop_mock, monkeypatch)
    assert whoop_mock.stats["refresh"] == 1
    assert whoop_mock.stats["http_401"] >= 1
    _assert_matches_mock(whoop_mock)


def test_without_offline_scope_an_expired_connection_needs_reauth(whoop_mock: WhoopMock, monkeypatch) -> None:
    from ingestion.auth.errors import NeedsReauthError

    _connect_directly(whoop_mock, scope="read:cycles read:sleep")
    whoop_mock.expire_access_tokens()
    with pytest.raises(Exception) as info:
        _sync(whoop_mock, monkeypatch)
    seen, found = info.value, False
    while seen is not None:
        found = found or isinstance(seen, NeedsReauthError)
        seen = seen.__cause__ or seen.__context__
    assert found
    assert TokenStore.from_settings().status("whoop", "me").needs_reauth


def test_429_with_retry_after_is_waited_out(whoop_mock: WhoopMock, monkeypatch) -> None:
    _connect_directly(whoop_mock)
    whoop_mock.storm(3, retry_after_s=0.2)
    _sync(whoop_mock, monkeypatch)
    assert whoop_mock.stats["http_429"] == 3
    _assert_matches_mock(whoop_mock)


def test_spent_daily_budget_ends_the_run_without_429_and_the_next_sync_resumes(
    openfit_home, monkeypatch
) -> None:
    import time

    from .mock_servers.whoop import WhoopMockConfig

    # a "day" of 3 s allowing 12 requests; the client knows the limits, as it knows WHOOP's documented ones
    config = WhoopMockConfig(days=30, limits={"overall": (1000, 12)}, window_lengths_s=(60.0, 3.0))
    with WhoopMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        _connect_directly(mock)
        if time.time() % 3 > 1.5:  # start early in a "day"
            time.sleep(3.05 - time.time() % 3)
        first = _sync(mock, monkeypatch, max_rate_wait_s="0.1")
        assert first["exhausted"] and first["resume"]
        assert mock.stats["api_requests"] == 12 and mock.stats["http_429"] == 0
        time.sleep(3.05 - time.time() % 3)
        second = _sync(mock, monkeypatch, max_rate_wait_s="10")
        assert not second["exhausted"] and not second["resume"]
        assert mock.stats["http_429"] == 0
        _assert_matches_mock(mock)


def test_connect_and_disconnect_via_cli(whoop_mock: WhoopMock, monkeypatch) -> None:
    import threading
    import webbrowser

    import httpx
    from typer.testing import CliRunner

    import cli.connect_cmds  # noqa: F401  (registers the commands)
    from cli import app

    def browser(url: str, new: int = 0) -> bool:
        threading.Thread(
            target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True
        ).start()
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    runner = CliRunner()
    result = runner.invoke(app, ["connect", "whoop", "--athlete", "anna", "--port", "0", "--timeout", "20"])
    assert result.exit_code == 0, result.output
    token = TokenStore.from_settings().load("whoop", "anna")
    assert token["refresh_token"] and "offline" in token["scope"].split()
    assert token["access_token"] not in result.output and token["refresh_token"] not in result.output
    assert 3000 < token["expires_at"] - token["obtained_at"] <= 3600  # one-hour access tokens
    result = runner.invoke(app, ["disconnect", "whoop", "--athlete", "anna"])
    assert result.exit_code == 0, result.output
    assert whoop_mock.stats["revoked"] == 1  # DELETE /v2/user/access with the bearer token
    assert TokenStore.from_settings().load("whoop", "anna") is None
