"""The Google Health dlt source against the mock API (built from the health:v4 discovery document): every
data type, AIP-160 time filters, pageToken paging with pageSize <= 25 for exercise and sleep, `reconcile` for
steps, chunked windows, re-sync without duplicates, resume after a failed run, token refresh (Google keeps
the refresh token), the offline grant, pacing and 429s."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import pytest

from ingestion.auth.tokens import TokenStore
from ingestion.pipelines import provider_pipeline
from ingestion.sources.google_health import GoogleHealthSettings, make_client, sync_google_health
from ingestion.sources.google_health.settings import DEFAULT_SCOPES
from ingestion.sources.google_health.source import DATA_TYPES, point_id
from openfit.settings import get_settings

from .mock_servers.google_health import GoogleHealthMock

PROVIDER = "google_health"


def _connect_directly(mock: GoogleHealthMock, offline: bool = True) -> dict:
    token = mock.issue_tokens(scope=DEFAULT_SCOPES)
    stored = {k: token[k] for k in ("access_token", "scope") if k in token}
    if offline:
        stored["refresh_token"] = token["refresh_token"]
    stored["expires_at"] = None
    TokenStore.from_settings().save(PROVIDER, "me", stored)
    return token


def _query(sql: str) -> list[tuple]:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _sync(mock: GoogleHealthMock, monkeypatch, **env: str) -> dict:
    monkeypatch.setenv(
        "OPENFIT_GOOGLE_HEALTH_BACKFILL_SINCE", (mock.cfg.first_day - timedelta(days=3)).isoformat()
    )
    for key, value in env.items():
        monkeypatch.setenv(f"OPENFIT_GOOGLE_HEALTH_{key.upper()}", value)
    settings = GoogleHealthSettings()
    client = make_client(settings, "me")
    try:
        return sync_google_health(
            provider_pipeline(PROVIDER), "me", settings, client=client, today=mock.last_day
        )
    finally:
        client.close()


def _assert_matches_mock(mock: GoogleHealthMock) -> None:
    for table, spec in DATA_TYPES.items():
        served = mock.points[spec.data_type]
        if spec.method == "reconcile":
            served = [mock.reconciled(p) for p in served]
        expected = {point_id(spec, "me", p): p for p in served}
        assert len(expected) == len(served), table  # the merge key tells every point apart
        rows = _query(f"select id, payload from raw_google_health.{table}")
        assert len(rows) == len(expected), table
        assert {r[0] for r in rows} == set(expected), table
        for doc_id, payload in rows:
            assert json.loads(payload) == expected[doc_id]  # verbatim
    assert _query("select health_user_id from raw_google_health.identity") == [("4815162342",)]
    assert _query("select count(*) from raw_google_health.paired_devices")[0][0] == 2


def _api_queries(mock: GoogleHealthMock, data_type: str) -> list[tuple[str, dict]]:
    prefix = f"/users/me/dataTypes/{data_type}/dataPoints"
    return [(p, q) for _m, p, q in mock.requests_log if p.startswith(prefix)]


def test_backfill_in_windows_with_paging_then_resync_adds_nothing(
    google_health_mock: GoogleHealthMock, monkeypatch
) -> None:
    mock = google_health_mock
    _connect_directly(mock)
    first = _sync(mock, monkeypatch, window_days="10", windows_per_run="2", sample_page_size="20")
    assert first["runs"] == 2  # 33 days in 10-day windows, 2 windows per load
    _assert_matches_mock(mock)
    sessions = _api_queries(mock, "exercise") + _api_queries(mock, "sleep")
    assert sessions and all(int(q["pageSize"]) <= 25 for _p, q in sessions)
    heart = _api_queries(mock, "heart-rate")
    assert any("pageToken" in q for _p, q in heart)  # paging was exercised (48 samples a day, pages of 20)
    # the documented filter fields, and `reconcile` for steps
    assert all(q["filter"].startswith('heart_rate.sample_time.physical_time >= "') for _p, q in heart)
    assert all(q["filter"].startswith('exercise.interval.civil_start_time >= "') for _p, q in sessions[:1])
    assert {p for p, _q in _api_queries(mock, "steps")} == {"/users/me/dataTypes/steps/dataPoints:reconcile"}
    assert all(
        q["filter"].startswith("daily_heart_rate_variability.date >= ")
        for _p, q in _api_queries(mock, "daily-heart-rate-variability")
    )

    before = {t: _query(f"select count(*) from raw_google_health.{t}")[0][0] for t in DATA_TYPES}
    requests_before = len(mock.requests_log)
    second = _sync(mock, monkeypatch)
    assert second["runs"] == 1
    assert {t: _query(f"select count(*) from raw_google_health.{t}")[0][0] for t in DATA_TYPES} == before
    _assert_matches_mock(mock)
    # the re-sync asks only for the look-back days (3 before the first day not yet loaded), not the history
    resync = [q for _m, p, q in mock.requests_log[requests_before:] if p.endswith("/weight/dataPoints")]
    resume_day = mock.last_day + timedelta(days=1)
    assert resync and f'>= "{(resume_day - timedelta(days=3)).isoformat()}T00:00:00Z"' in resync[0]["filter"]


def test_a_failed_run_resumes_where_it_stopped(google_health_mock: GoogleHealthMock, monkeypatch) -> None:
    from dlt.pipeline.exceptions import PipelineStepFailed

    mock = google_health_mock
    _connect_directly(mock)
    backfill_since = mock.cfg.first_day - timedelta(days=3)
    monkeypatch.setenv("OPENFIT_GOOGLE_HEALTH_BACKFILL_SINCE", backfill_since.isoformat())
    monkeypatch.setenv("OPENFIT_GOOGLE_HEALTH_WINDOW_DAYS", "10")
    monkeypatch.setenv("OPENFIT_GOOGLE_HEALTH_WINDOWS_PER_RUN", "2")
    settings = GoogleHealthSettings()
    with make_client(settings, "me") as client:  # one chunk (20 days) commits, then the sync stops
        chunk = sync_google_health(
            provider_pipeline(PROVIDER), "me", settings, client=client, today=mock.last_day, max_runs=1
        )
    assert chunk["resume"]
    mock.fail_next(*([503] * 50))  # the next run dies on a server that keeps failing
    with make_client(settings, "me") as client:
        client.max_retries = 1
        client.backoff_base_s = 0.01
        with pytest.raises(PipelineStepFailed):
            sync_google_health(
                provider_pipeline(PROVIDER), "me", settings, client=client, today=mock.last_day
            )
    with mock._lock:
        mock._fail_next.clear()
    requests_before = len(mock.requests_log)
    _sync(mock, monkeypatch)
    _assert_matches_mock(mock)
    # it went on from the first day the committed chunk had not loaded, not from the start of the backfill
    weights = [q for _m, p, q in mock.requests_log[requests_before:] if p.endswith("/weight/dataPoints")]
    resumed = (backfill_since + timedelta(days=20)).isoformat()
    assert f'>= "{resumed}T00:00:00Z"' in weights[0]["filter"]


def test_expired_access_token_is_refreshed_and_google_keeps_the_refresh_token(
    google_health_mock: GoogleHealthMock, monkeypatch
) -> None:
    mock = google_health_mock
    token = _connect_directly(mock)
    mock.expire_access_tokens()  # the API answers 401: refresh once, then carry on
    _sync(mock, monkeypatch)
    assert mock.stats["refresh"] == 1
    assert mock.stats["http_401"] >= 1
    stored = TokenStore.from_settings().load(PROVIDER, "me")
    assert stored["refresh_token"] == token["refresh_token"]  # not rotated: the stored one is kept
    assert stored["access_token"] != token["access_token"]
    _assert_matches_mock(mock)
    mock.expire_access_tokens()  # the kept refresh token works again
    _sync(mock, monkeypatch)
    assert mock.stats["refresh"] == 2 and mock.stats["invalid_grant"] == 0


def test_without_a_refresh_token_an_expired_connection_needs_reauth(
    google_health_mock: GoogleHealthMock, monkeypatch
) -> None:
    from ingestion.auth.errors import NeedsReauthError

    _connect_directly(google_health_mock, offline=False)
    google_health_mock.expire_access_tokens()
    with pytest.raises(Exception) as info:
        _sync(google_health_mock, monkeypatch)
    seen, found = info.value, False
    while seen is not None:
        found = found or isinstance(seen, NeedsReauthError)
        seen = seen.__cause__ or seen.__context__
    assert found
    assert TokenStore.from_settings().status(PROVIDER, "me").needs_reauth


def test_429_with_retry_after_is_waited_out(google_health_mock: GoogleHealthMock, monkeypatch) -> None:
    _connect_directly(google_health_mock)
    google_health_mock.storm(3, retry_after_s=0.2)
    _sync(google_health_mock, monkeypatch)
    assert google_health_mock.stats["http_429"] == 3
    _assert_matches_mock(google_health_mock)


def test_spent_daily_budget_ends_the_run_without_429_and_the_next_sync_resumes(
    openfit_home, monkeypatch
) -> None:
    import time

    from .mock_servers.google_health import GoogleHealthMockConfig

    # a "day" of 3 s allowing 12 requests; the client paces at the configured limits
    config = GoogleHealthMockConfig(days=30, limits={"overall": (1000, 12)}, window_lengths_s=(60.0, 3.0))
    with GoogleHealthMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        _connect_directly(mock)
        if time.time() % 3 > 1.5:  # start early in a "day"
            time.sleep(3.05 - time.time() % 3)
        first = _sync(mock, monkeypatch, max_rate_wait_s="0.1")
        assert first["exhausted"] and first["resume"]
        assert mock.stats["api_requests"] == 12 and mock.stats["http_429"] == 0
        for _ in range(10):  # one "day" after another until caught up
            time.sleep(3.05 - time.time() % 3)
            last = _sync(mock, monkeypatch, max_rate_wait_s="10")
            if not last["resume"]:
                break
        assert not last["exhausted"] and not last["resume"]
        assert mock.stats["http_429"] == 0
        _assert_matches_mock(mock)


def test_connect_with_pkce_and_offline_access_then_disconnect_via_cli(
    google_health_mock: GoogleHealthMock, monkeypatch
) -> None:
    import threading
    import webbrowser
    from urllib.parse import parse_qs, urlparse

    import httpx
    from typer.testing import CliRunner

    import cli.connect_cmds  # noqa: F401  (registers the commands)
    from cli import app

    opened: list[str] = []

    def browser(url: str, new: int = 0) -> bool:
        opened.append(url)
        threading.Thread(
            target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True
        ).start()
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    runner = CliRunner()
    result = runner.invoke(
        app, ["connect", "google_health", "--athlete", "anna", "--port", "0", "--timeout", "20"]
    )
    assert result.exit_code == 0, result.output
    query = parse_qs(urlparse(opened[0]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert set(query["scope"][0].split()) == set(DEFAULT_SCOPES.split())
    store = TokenStore.from_settings()
    token = store.load(PROVIDER, "anna")
    assert token["refresh_token"]
    assert token["access_token"] not in result.output and token["refresh_token"] not in result.output
    assert 3000 < token["expires_at"] - token["obtained_at"] <= 3600  # one-hour access tokens
    assert store.provider_user_id(PROVIDER, "anna") == "4815162342"  # users/me/identity healthUserId
    listing = runner.invoke(app, ["connections"], terminal_width=200)
    assert listing.exit_code == 0 and "google_health" in listing.output and "anna" in listing.output
    result = runner.invoke(app, ["disconnect", "google_health", "--athlete", "anna"])
    assert result.exit_code == 0, result.output
    assert google_health_mock.stats["revoked"] == 1  # POST /revoke token=<refresh token>
    assert TokenStore.from_settings().load(PROVIDER, "anna") is None
