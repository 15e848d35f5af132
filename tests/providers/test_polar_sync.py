"""The Polar AccessLink source against the mock API: every collection, the rolling 30/28-day lists read whole
and the date-ranged collections walked in <= 28-day windows from the registration date, re-sync without
duplicates, resume after a failed run, 429s waited out, a spent daily budget resumed later, pacing from
Polar's RateLimit headers, and a long-lived token with no refresh."""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import pytest

from ingestion.auth.tokens import TokenStore
from ingestion.pipelines import provider_pipeline
from ingestion.sources.polar import PolarSettings, make_client, sync_polar
from openfit.settings import get_settings

from .mock_servers.polar import PolarMock, PolarMockConfig


def _connect_directly(mock: PolarMock) -> dict:
    mock.register_directly()
    token = mock.issue_tokens()
    stored = {"access_token": token["access_token"], "scope": "accesslink.read_all",
              "provider_user_id": str(token["x_user_id"]), "expires_at": None}  # fmt: skip
    TokenStore.from_settings().save("polar", "me", stored)
    return token


def _query(sql: str) -> list[tuple]:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _sync(mock: PolarMock, monkeypatch, **env: str) -> dict:
    for key, value in env.items():
        monkeypatch.setenv(f"OPENFIT_POLAR_{key.upper()}", value)
    settings = PolarSettings()
    client = make_client(settings, "me")
    client.backoff_base_s = 0.01  # the 5xx backoff's schedule, not its seconds, is under test (as for Strava)
    try:
        return sync_polar(provider_pipeline("polar"), "me", settings, client=client, today=mock.cfg.today)
    finally:
        client.close()


def _assert_matches_mock(mock: PolarMock) -> None:
    exercises = {e["id"]: e for e in mock.listed_exercises()}
    rows = _query("select id, payload from raw_polar.exercise")
    assert {r[0] for r in rows} == set(exercises)
    for doc_id, payload in rows:
        assert json.loads(payload) == exercises[doc_id]  # verbatim, with samples, zones and route
    for table, docs in (("sleep", mock.listed_nights(mock.nights)),
                        ("nightly_recharge", mock.listed_nights(mock.recharges)),
                        ("activity", mock.in_range(mock.activities, mock.registration_day, mock.cfg.today)),
                        ("continuous_heart_rate",
                         mock.in_range(mock.heart_rates, mock.registration_day, mock.cfg.today))):  # fmt: skip
        expected = {(d.get("date") or d["start_time"])[:10]: d for d in docs}
        rows = _query(f"select date, payload, athlete from raw_polar.{table}")
        assert len(rows) == len(expected), table
        assert {r[0] for r in rows} == set(expected), table
        for day, payload, athlete in rows:
            assert athlete == "me" and json.loads(payload) == expected[day], table
    user = _query("select athlete, user_id, payload from raw_polar.user")
    assert [(u[0], u[1]) for u in user] == [("me", mock.cfg.user_id)]


def test_backfill_from_registration_in_windows_then_resync_adds_nothing(
    polar_mock: PolarMock, monkeypatch
) -> None:
    _connect_directly(polar_mock)
    first = _sync(polar_mock, monkeypatch, window_days="10", windows_per_run="2")
    # registered 45 days before today: 46 days in 10-day windows = 5 windows, 2 per load
    assert first["runs"] == 3
    _assert_matches_mock(polar_mock)
    ranged = [q for _m, p, q in polar_mock.requests_log if p == "/users/activities"]
    assert ranged[0]["from"] == polar_mock.registration_day.isoformat()  # nothing before the registration
    assert all((date.fromisoformat(q["to"]) - date.fromisoformat(q["from"])).days < 28 for q in ranged)
    listed = [q for _m, p, q in polar_mock.requests_log if p == "/exercises"]
    assert listed and all(q == {"samples": "true", "zones": "true", "route": "true"} for q in listed)
    counts = {
        t: _query(f"select count(*) from raw_polar.{t}")[0][0] for t in ("exercise", "sleep", "activity")
    }
    requests_before = polar_mock.stats["api_requests"]
    second = _sync(polar_mock, monkeypatch)
    assert second["runs"] == 1
    assert {t: _query(f"select count(*) from raw_polar.{t}")[0][0] for t in counts} == counts
    _assert_matches_mock(polar_mock)
    # the re-sync reads the lists once and the ranged collections from the look-back only
    new = polar_mock.requests_log[-(polar_mock.stats["api_requests"] - requests_before) :]
    assert sorted(p for _m, p, _q in new) == sorted(
        [
            "/users/2278512",
            "/exercises",
            "/users/sleep",
            "/users/nightly-recharge",
            "/users/activities",
            "/users/continuous-heart-rate",
        ]  # fmt: skip
    )
    resume_day = polar_mock.cfg.today + timedelta(days=1)
    last = next(q for _m, p, q in new if p == "/users/activities")
    assert last["from"] == (resume_day - timedelta(days=3)).isoformat()


def test_backfill_is_bounded_by_365_days(openfit_home, monkeypatch) -> None:
    with PolarMock(PolarMockConfig(days=30, registered_days_ago=800, limits=None)) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        _connect_directly(mock)
        _sync(mock, monkeypatch)
        ranged = [q for _m, p, q in mock.requests_log if p == "/users/continuous-heart-rate"]
        assert ranged[0]["from"] == (mock.cfg.today - timedelta(days=364)).isoformat()
        assert mock.stats["api_requests"] == len(mock.requests_log)
        _assert_matches_mock(mock)


def test_failed_run_resumes_where_it_stopped(polar_mock: PolarMock, monkeypatch) -> None:
    _connect_directly(polar_mock)
    polar_mock.fail_next(*[503] * 7)  # more than the client's retries: the first run fails
    with pytest.raises(Exception):  # noqa: B017 (dlt wraps the ApiError)
        _sync(polar_mock, monkeypatch, window_days="10", windows_per_run="1")
    _sync(polar_mock, monkeypatch, window_days="10", windows_per_run="1")
    _assert_matches_mock(polar_mock)
    assert polar_mock.stats["http_5xx"] == 7


def test_429_with_retry_after_is_waited_out(polar_mock: PolarMock, monkeypatch) -> None:
    _connect_directly(polar_mock)
    polar_mock.storm(3, retry_after_s=0.2)
    _sync(polar_mock, monkeypatch)
    assert polar_mock.stats["http_429"] == 3
    _assert_matches_mock(polar_mock)


def test_spent_daily_budget_ends_the_run_without_429_and_the_next_sync_resumes(
    openfit_home, monkeypatch
) -> None:
    import time

    # a "day" of 3 s allowing 8 requests; the client learns the limits from Polar's RateLimit headers
    config = PolarMockConfig(limits={"overall": (1000, 8)}, window_lengths_s=(60.0, 3.0))
    with PolarMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        _connect_directly(mock)
        if time.time() % 3 > 1.5:  # start early in a "day"
            time.sleep(3.05 - time.time() % 3)
        first = _sync(mock, monkeypatch, max_rate_wait_s="0.1", window_days="7")
        assert first["exhausted"] and first["resume"]
        assert mock.stats["api_requests"] == 8 and mock.stats["http_429"] == 0
        for _ in range(6):
            time.sleep(3.05 - time.time() % 3)
            last = _sync(mock, monkeypatch, max_rate_wait_s="0.1", window_days="7")
            if not last["resume"]:
                break
        assert not last["exhausted"] and not last["resume"]
        assert mock.stats["http_429"] == 0
        _assert_matches_mock(mock)


def test_limits_grow_with_registered_users() -> None:
    settings = PolarSettings(registered_users=None)
    assert settings.rate_limits(1) == (520, 5_100)
    assert settings.rate_limits(10) == (700, 6_000)
    assert PolarSettings(registered_users=50).rate_limits(1) == (1_500, 10_000)


def test_a_rejected_token_needs_reauth_there_is_no_refresh(polar_mock: PolarMock, monkeypatch) -> None:
    from ingestion.auth.errors import NeedsReauthError

    _connect_directly(polar_mock)
    polar_mock.revoke_all()  # e.g. the user de-registered or withdrew consent in Polar Flow
    with pytest.raises(Exception) as info:
        _sync(polar_mock, monkeypatch)
    seen, found = info.value, False
    while seen is not None:
        found = found or isinstance(seen, NeedsReauthError)
        seen = seen.__cause__ or seen.__context__
    assert found
    assert TokenStore.from_settings().status("polar", "me").needs_reauth
    assert polar_mock.stats["refresh"] == 0


def test_a_webhook_sync_reads_only_the_collections_of_its_event(polar_mock: PolarMock, monkeypatch) -> None:
    from ingestion.registry import discover

    _connect_directly(polar_mock)
    _sync(polar_mock, monkeypatch)
    before = len(polar_mock.requests_log)
    wanted = discover()["polar"].webhook.collections(frozenset({"SLEEP"}))
    settings = PolarSettings()
    client = make_client(settings, "me")
    try:
        summary = sync_polar(provider_pipeline("polar"), "me", settings, client=client, today=polar_mock.cfg.today,
                             collections=wanted)  # fmt: skip
    finally:
        client.close()
    assert summary["runs"] == 1
    assert sorted(p for _m, p, _q in polar_mock.requests_log[before:]) == [
        "/users/nightly-recharge",
        "/users/sleep",
    ]
    _assert_matches_mock(polar_mock)
