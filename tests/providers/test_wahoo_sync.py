"""The Wahoo dlt source against the mock API: the user and every workout verbatim, page/per_page paging in
chunks of pages, an incremental re-sync that reads only the newest pages and adds no duplicates, resume after
a failed run, 429 handling, and rotating refresh tokens (a used refresh token is dead)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import duckdb
import httpx
import pytest

from ingestion.auth.http import ApiError
from ingestion.auth.tokens import TokenStore
from ingestion.pipelines import provider_pipeline
from ingestion.sources.wahoo import WahooSettings, make_client, sync_wahoo
from ingestion.sources.wahoo.settings import DEFAULT_SCOPES
from openfit.settings import get_settings

from .mock_servers.wahoo import WahooMock


def _connect_directly(mock: WahooMock, scope: str = DEFAULT_SCOPES) -> dict:
    token = mock.issue_tokens(scope=scope)
    stored = {k: token[k] for k in ("access_token", "refresh_token", "scope") if k in token}
    stored["expires_at"] = None
    TokenStore.from_settings().save("wahoo", "me", stored)
    return token


def _query(sql: str) -> list[tuple]:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _sync(mock: WahooMock, monkeypatch, **env: str) -> dict:
    monkeypatch.setenv("OPENFIT_WAHOO_BACKFILL_SINCE", (mock.cfg.first_day - timedelta(days=3)).isoformat())
    for key, value in env.items():
        monkeypatch.setenv(f"OPENFIT_WAHOO_{key.upper()}", value)
    settings = WahooSettings()
    client = make_client(settings, "me")
    try:
        return sync_wahoo(provider_pipeline("wahoo"), "me", settings, client=client)
    finally:
        client.close()


def _assert_matches_mock(mock: WahooMock) -> None:
    expected = {w["id"]: w for w in mock.workouts}
    rows = _query("select id, payload from raw_wahoo.workout")
    assert len(rows) == len(expected)
    assert {r[0] for r in rows} == set(expected)
    for doc_id, payload in rows:
        assert json.loads(payload) == expected[doc_id]  # verbatim, decimals still strings
    user = _query("select athlete, user_id, payload from raw_wahoo.user")
    assert len(user) == 1 and user[0][:2] == ("me", mock.cfg.user_id)


def _pages(mock: WahooMock, since: int = 0) -> list[int]:
    return [int(q.get("page", 1)) for _m, p, q in mock.requests_log[since:] if p == "/workouts"]


def test_backfill_in_page_chunks_then_resync_reads_only_the_newest_page(
    wahoo_mock: WahooMock, monkeypatch
) -> None:
    _connect_directly(wahoo_mock)
    assert len(wahoo_mock.workouts) > 12
    first = _sync(wahoo_mock, monkeypatch, per_page="4", pages_per_run="2")
    pages = -(-len(wahoo_mock.workouts) // 4)
    assert first["runs"] == -(-pages // 2)  # two pages per dlt load
    assert _pages(wahoo_mock) == list(range(1, pages + 1))  # every page once, in order
    assert all(q["per_page"] == "4" for _m, p, q in wahoo_mock.requests_log if p == "/workouts")
    _assert_matches_mock(wahoo_mock)
    assert TokenStore.from_settings().provider_user_id("wahoo", "me") == str(wahoo_mock.cfg.user_id)

    # a new workout upstream: the re-sync reads page 1 (it reaches past the look-back line) and stops
    newest = max(datetime.fromisoformat(w["starts"].replace("Z", "+00:00")) for w in wahoo_mock.completed())
    added = wahoo_mock.add_workout(newest + timedelta(days=1), 3600, 15)
    before = len(wahoo_mock.requests_log)
    second = _sync(wahoo_mock, monkeypatch, per_page="4", pages_per_run="2", lookback_days="1")
    assert second["runs"] == 1
    assert _pages(wahoo_mock, before) == [1]
    _assert_matches_mock(wahoo_mock)
    assert _query(f"select count(*) from raw_wahoo.workout where id = {added['id']}") == [(1,)]


def test_a_failed_run_resumes_at_its_next_page(wahoo_mock: WahooMock, monkeypatch) -> None:
    _connect_directly(wahoo_mock)
    # the third page fails for good (5xx beyond the retries): the first chunk committed, the second did not
    monkeypatch.setenv("OPENFIT_WAHOO_PER_PAGE", "4")
    monkeypatch.setenv("OPENFIT_WAHOO_PAGES_PER_RUN", "2")
    settings = WahooSettings()
    client = make_client(settings, "me")
    client.max_retries = 1
    client.backoff_base_s = 0.01
    pipeline = provider_pipeline("wahoo")
    original = wahoo_mock.route

    def failing_third_page(method, path, query, grant):  # noqa: ANN001, ANN202
        if path == "/workouts" and query.get("page") == "3":
            return 503, {"error": "Service Unavailable"}
        return original(method, path, query, grant)

    monkeypatch.setattr(wahoo_mock, "route", failing_third_page)
    monkeypatch.setenv(
        "OPENFIT_WAHOO_BACKFILL_SINCE", (wahoo_mock.cfg.first_day - timedelta(days=3)).isoformat()
    )
    settings = WahooSettings()
    with pytest.raises(Exception) as info:
        sync_wahoo(pipeline, "me", settings, client=client)
    assert "503" in str(info.value) or isinstance(info.value.__cause__, ApiError)
    client.close()
    assert _query("select count(*) from raw_wahoo.workout") == [(8,)]  # the first chunk's two pages

    monkeypatch.setattr(wahoo_mock, "route", original)
    before = len(wahoo_mock.requests_log)
    _sync(wahoo_mock, monkeypatch, per_page="10")  # a new page size waits for the next walk
    resumed = [q for _m, p, q in wahoo_mock.requests_log[before:] if p == "/workouts"]
    assert (resumed[0]["page"], resumed[0]["per_page"]) == ("3", "4")  # where the failed run stopped
    _assert_matches_mock(wahoo_mock)


def test_429_is_waited_out(wahoo_mock: WahooMock, monkeypatch) -> None:
    _connect_directly(wahoo_mock)
    wahoo_mock.storm(3, retry_after_s=0.2)
    _sync(wahoo_mock, monkeypatch)
    assert wahoo_mock.stats["http_429"] == 3
    _assert_matches_mock(wahoo_mock)


def test_pacing_at_the_short_window_limit_never_draws_a_429(openfit_home, monkeypatch) -> None:
    from .mock_servers.wahoo import WahooMockConfig

    # a "five-minute" window of 1 s allowing 3 requests: the client paces itself, the server never refuses
    config = WahooMockConfig(days=30, limits={"overall": (3, 10_000)}, window_lengths_s=(1.0, 86400.0))
    with WahooMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        _connect_directly(mock)
        summary = _sync(mock, monkeypatch, per_page="5")
        assert mock.stats["http_429"] == 0
        assert summary["requests"] == mock.stats["api_requests"] > 3
        _assert_matches_mock(mock)


def test_spent_daily_budget_ends_the_run_and_the_next_sync_resumes(openfit_home, monkeypatch) -> None:
    import time

    from .mock_servers.wahoo import WahooMockConfig

    # a "day" of 3 s allowing 4 requests (the user and 3 pages of 4 workouts)
    config = WahooMockConfig(days=30, limits={"overall": (1000, 4)}, window_lengths_s=(60.0, 3.0))
    with WahooMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        _connect_directly(mock)
        if time.time() % 3 > 1.5:  # start early in a "day"
            time.sleep(3.05 - time.time() % 3)
        first = _sync(mock, monkeypatch, per_page="4", max_rate_wait_s="0.1")
        assert first["exhausted"] and first["resume"]
        assert mock.stats["api_requests"] == 4 and mock.stats["http_429"] == 0
        time.sleep(3.05 - time.time() % 3)
        second = _sync(mock, monkeypatch, per_page="4", max_rate_wait_s="10")
        assert not second["exhausted"] and not second["resume"]
        assert mock.stats["http_429"] == 0
        _assert_matches_mock(mock)


def test_refresh_rotates_the_refresh_token_and_the_old_one_is_dead(
    wahoo_mock: WahooMock, monkeypatch
) -> None:
    first = _connect_directly(wahoo_mock)
    wahoo_mock.expire_access_tokens()  # the API answers 401: refresh once, then carry on
    _sync(wahoo_mock, monkeypatch)
    assert wahoo_mock.stats["refresh"] == 1 and wahoo_mock.stats["http_401"] >= 1
    _assert_matches_mock(wahoo_mock)
    stored = TokenStore.from_settings().load("wahoo", "me")
    # the new pair was stored (the old refresh token is single use) and the store's copy is the live one
    assert stored["refresh_token"] != first["refresh_token"]
    assert stored["access_token"] != first["access_token"]
    assert wahoo_mock.stats["revoked_on_use"] >= 1  # using the new access token revoked the old one
    old = httpx.post(
        f"{wahoo_mock.base_url}/oauth/token",
        params={
            "client_id": wahoo_mock.config.client_id,
            "client_secret": wahoo_mock.config.client_secret,
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
        },
        timeout=10,
    )
    assert old.status_code == 400 and old.json()["error"] == "invalid_grant"

    # a second expiry refreshes with the stored (rotated) token, which works
    wahoo_mock.expire_access_tokens()
    _sync(wahoo_mock, monkeypatch)
    assert wahoo_mock.stats["refresh"] == 2 and wahoo_mock.stats["invalid_grant"] == 1


def test_a_reused_refresh_token_marks_the_connection_for_reauth(wahoo_mock: WahooMock, monkeypatch) -> None:
    from ingestion.auth.errors import NeedsReauthError

    first = _connect_directly(wahoo_mock)
    wahoo_mock.expire_access_tokens()
    _sync(wahoo_mock, monkeypatch)  # rotates the refresh token
    # a stale copy of the old token (e.g. restored from a backup) is refused at the mock: re-auth needed
    stale = {
        "access_token": first["access_token"],
        "refresh_token": first["refresh_token"],
        "expires_at": 0.0,
    }
    TokenStore.from_settings().save("wahoo", "me", stale)
    with pytest.raises(Exception) as info:
        _sync(wahoo_mock, monkeypatch)
    seen, found = info.value, False
    while seen is not None:
        found = found or isinstance(seen, NeedsReauthError)
        seen = seen.__cause__ or seen.__context__
    assert found
    assert TokenStore.from_settings().status("wahoo", "me").needs_reauth


def test_without_user_read_the_api_refuses_with_403(wahoo_mock: WahooMock, monkeypatch) -> None:
    _connect_directly(wahoo_mock, scope="workouts_read")
    with pytest.raises(Exception) as info:
        _sync(wahoo_mock, monkeypatch)
    assert "403" in str(info.value)


def test_connect_and_disconnect_via_cli(wahoo_mock: WahooMock, monkeypatch) -> None:
    import threading
    import webbrowser

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
    result = runner.invoke(app, ["connect", "wahoo", "--athlete", "anna", "--port", "0", "--timeout", "20"])
    assert result.exit_code == 0, result.output
    store = TokenStore.from_settings()
    token = store.load("wahoo", "anna")
    assert token["refresh_token"] and set(DEFAULT_SCOPES.split()) <= set(token["scope"].split())
    assert token["access_token"] not in result.output and token["refresh_token"] not in result.output
    assert 7000 < token["expires_at"] - token["obtained_at"] <= 7200  # two-hour access tokens
    # the Wahoo user id (what webhook messages name) is kept at connect time, from GET /v1/user
    assert store.provider_user_id("wahoo", "anna") == str(wahoo_mock.cfg.user_id)
    assert store.athlete_for("wahoo", str(wahoo_mock.cfg.user_id)) == "anna"
    result = runner.invoke(app, ["disconnect", "wahoo", "--athlete", "anna"])
    assert result.exit_code == 0, result.output
    assert wahoo_mock.stats["revoked"] == 1  # DELETE /v1/permissions with the bearer token
    assert TokenStore.from_settings().load("wahoo", "anna") is None


def test_a_webhook_sync_of_the_workouts_reads_only_the_newest_page(
    wahoo_mock: WahooMock, monkeypatch
) -> None:
    _connect_directly(wahoo_mock)
    _sync(wahoo_mock, monkeypatch, per_page="5")
    before = len(wahoo_mock.requests_log)
    monkeypatch.setenv("OPENFIT_WAHOO_LOOKBACK_DAYS", "1")  # the look-back line lies within page 1
    settings = WahooSettings()
    client = make_client(settings, "me")
    try:  # what the webhook sensor runs for a workout_summary message: collections=("workout",)
        sync_wahoo(provider_pipeline("wahoo"), "me", settings, client=client, collections=("workout",))
    finally:
        client.close()
    assert [(p, q.get("page")) for _m, p, q in wahoo_mock.requests_log[before:]] == [("/workouts", "1")]
    _assert_matches_mock(wahoo_mock)


def test_athletes_share_the_apps_rate_limit(wahoo_mock: WahooMock) -> None:
    settings = WahooSettings()
    first, second = make_client(settings, "anna"), make_client(settings, "ben")
    try:  # Wahoo counts requests per app: two athletes' syncs in one process draw on one budget
        assert first.limiter is second.limiter
        assert [w.limit for w in first.limiter.buckets[0].windows] == [10_000, 1_000, 100_000]
    finally:
        first.close()
        second.close()


def test_fit_files_go_to_the_inbox_once_and_only_for_the_files_owner(
    wahoo_mock: WahooMock, monkeypatch
) -> None:
    _connect_directly(wahoo_mock)
    completed = wahoo_mock.completed()
    for n, workout in enumerate(completed):
        wahoo_mock.attach_fit(workout, f"FIT bytes of workout {n}".encode())
    inbox = get_settings().inbox_dir / "wahoo" / "me"

    monkeypatch.setenv("OPENFIT_FILES_ATHLETE_ID", "someone-else")  # files would be theirs: no download
    get_settings.cache_clear()
    _sync(wahoo_mock, monkeypatch, download_fit_files="true")
    assert wahoo_mock.stats["file_downloads"] == 0 and not inbox.exists()

    monkeypatch.setenv("OPENFIT_FILES_ATHLETE_ID", "me")
    get_settings.cache_clear()
    monkeypatch.setenv("OPENFIT_WAHOO_LOOKBACK_DAYS", "400")  # re-read every page: nothing is fetched twice
    _sync(wahoo_mock, monkeypatch, download_fit_files="true")
    files = sorted(inbox.iterdir())
    assert len(files) == len(completed) == wahoo_mock.stats["file_downloads"]
    for workout in completed:
        version = "".join(c for c in workout["workout_summary"]["updated_at"] if c.isdigit())
        url_name = workout["workout_summary"]["file"]["url"].rsplit("/", 1)[-1]
        assert (inbox / f"{workout['id']}-{version}.fit").read_bytes() == wahoo_mock.fit_files[url_name]
    _sync(wahoo_mock, monkeypatch, download_fit_files="true")
    assert wahoo_mock.stats["file_downloads"] == len(completed)
    assert not (get_settings().home_dir / "downloads").exists() or not any(
        (get_settings().home_dir / "downloads").iterdir()
    )
