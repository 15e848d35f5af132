"""The Withings dlt source against the mock API: every action, `more`/`offset` paging, chunked backfill,
`lastupdate` re-syncs without duplicates, status-in-body errors (601, 401) handled like HTTP ones, and
rotating refresh tokens."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import pytest

from ingestion.auth.errors import NeedsReauthError
from ingestion.auth.oauth import TokenManager
from ingestion.auth.tokens import TokenStore
from ingestion.pipelines import provider_pipeline
from ingestion.sources.withings import WithingsSettings, make_client, sync_withings
from openfit.settings import get_settings

from .mock_servers.withings import WithingsMock

TABLES = {"measure_groups": "measuregrps", "activity": "activities", "sleep_summary": "sleep",
          "workouts": "workouts"}  # fmt: skip


def _connect_directly(mock: WithingsMock) -> dict:
    token = mock.issue_tokens(scope="user.info,user.metrics,user.activity")
    TokenStore.from_settings().save(
        "withings", "me", {k: token[k] for k in ("access_token", "refresh_token", "expires_at", "scope")}
    )
    return token


def _query(sql: str) -> list[tuple]:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _sync(mock: WithingsMock, monkeypatch, **env: str) -> dict:
    monkeypatch.setenv(
        "OPENFIT_WITHINGS_BACKFILL_SINCE", (mock.cfg.first_day - timedelta(days=3)).isoformat()
    )
    for key, value in env.items():
        monkeypatch.setenv(f"OPENFIT_WITHINGS_{key.upper()}", value)
    settings = WithingsSettings()
    client = make_client(settings, "me")
    try:
        return sync_withings(
            provider_pipeline("withings"), "me", settings, client=client, today=mock.last_day
        )
    finally:
        client.close()


def _counts() -> dict[str, int]:
    return {t: _query(f"select count(*) from raw_withings.{t}")[0][0] for t in TABLES}


def _assert_matches_mock(mock: WithingsMock) -> None:
    for table, attr in TABLES.items():
        docs = getattr(mock, attr)
        assert _counts()[table] == len(docs), table
    payload = _query("select payload from raw_withings.workouts order by id limit 1")[0][0]
    assert json.loads(payload) == mock.workouts[0]  # verbatim


def test_backfill_in_chunks_with_paging_then_lastupdate_adds_nothing(withings_mock, monkeypatch) -> None:
    _connect_directly(withings_mock)
    # 33 days in 5-day windows, 2 windows per load: several loads; page size 7 forces offset paging
    summary = _sync(withings_mock, monkeypatch, window_days="5", windows_per_run="2")
    assert summary["runs"] >= 4
    _assert_matches_mock(withings_mock)
    assert withings_mock.served["getmeas"] > 0 and withings_mock.served["getsummary"] > 0
    assert any(q.get("offset") for _m, _p, q in withings_mock.requests_log)  # paged
    first = _counts()

    before = len(withings_mock.requests_log)
    withings_mock.touch("workouts", 0, data={**withings_mock.workouts[0]["data"], "calories": 999})
    _sync(withings_mock, monkeypatch)
    resync = withings_mock.requests_log[before:]
    assert resync and all("lastupdate" in q for _m, _p, q in resync)
    assert _counts() == first  # merge keys: re-reads change nothing
    calories = _query("select payload -> '$.data' ->> 'calories' from raw_withings.workouts "
                      f"where id = '{withings_mock.workouts[0]['id']}'")  # fmt: skip
    assert calories == [("999",)]


def test_status_601_waits_and_401_refreshes(withings_mock, monkeypatch) -> None:
    _connect_directly(withings_mock)
    withings_mock.storm(3, retry_after_s=0.05)  # answered as HTTP 200 {"status": 601}
    withings_mock.expire_access_tokens()  # the next call gets {"status": 401}: refresh, then retry
    summary = _sync(withings_mock, monkeypatch)
    assert summary["http_429"] == 3 and summary["http_401"] == 1
    assert withings_mock.stats["refresh"] == 1
    _assert_matches_mock(withings_mock)


def test_refresh_tokens_rotate_and_a_reused_one_is_refused(withings_mock) -> None:
    first = _connect_directly(withings_mock)
    store = TokenStore.from_settings()
    manager = TokenManager(WithingsSettings().oauth_config(), store, "me")
    for _ in range(2):
        old = store.load("withings", "me")
        new_access = manager.after_unauthorized(old["access_token"])
        saved = store.load("withings", "me")
        assert saved["access_token"] == new_access != old["access_token"]
        assert saved["refresh_token"] != old["refresh_token"]  # rotated and stored at once
    assert withings_mock.stats["refresh"] == 2
    # the first refresh token was used: Withings refuses it (status 503 in the body) -> re-auth needed
    store.save("withings", "me", {**store.load("withings", "me"), "refresh_token": first["refresh_token"]})
    with pytest.raises(NeedsReauthError):
        manager.after_unauthorized(store.load("withings", "me")["access_token"])


def test_connect_via_cli_stores_the_unwrapped_tokens(withings_mock, monkeypatch) -> None:
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
    result = CliRunner().invoke(
        app, ["connect", "withings", "--athlete", "anna", "--port", "0", "--timeout", "20"]
    )
    assert result.exit_code == 0, result.output
    assert "oauth2_user/authorize2" in result.output and "user.metrics" in result.output
    token = TokenStore.from_settings().load("withings", "anna")
    assert token["provider_user_id"] == str(withings_mock.cfg.userid)
    assert token["refresh_token"] and token["expires_at"] > 0
    assert token["access_token"] not in result.output and token["refresh_token"] not in result.output
