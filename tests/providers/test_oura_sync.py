"""The Oura dlt source against the mock API: every collection, next_token pagination, chunked date windows,
re-sync without duplicates."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb

from ingestion.auth.tokens import TokenStore
from ingestion.pipelines import provider_pipeline
from ingestion.sources.oura import OuraSettings, make_client, sync_oura
from ingestion.sources.oura.source import DOCUMENT_COLLECTIONS
from openfit.settings import get_settings

from .mock_servers.oura import OuraMock


def _connect_directly(mock: OuraMock) -> None:
    token = mock.issue_tokens(scope="personal daily heartrate workout session spo2")
    TokenStore.from_settings().save(
        "oura", "me", {k: token[k] for k in ("access_token", "refresh_token", "expires_at", "scope")}
    )


def _query(sql: str) -> list[tuple]:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _sync(mock: OuraMock, monkeypatch, **env: str) -> dict:
    monkeypatch.setenv("OPENFIT_OURA_BACKFILL_SINCE", (mock.cfg.first_day - timedelta(days=3)).isoformat())
    for key, value in env.items():
        monkeypatch.setenv(f"OPENFIT_OURA_{key.upper()}", value)
    settings = OuraSettings()
    client = make_client(settings, "me")
    try:
        return sync_oura(provider_pipeline("oura"), "me", settings, client=client, today=mock.last_day)
    finally:
        client.close()


def _assert_matches_mock(mock: OuraMock) -> None:
    for table, collection in DOCUMENT_COLLECTIONS.items():
        expected = {d["id"]: d for d in mock.docs[collection]}
        rows = _query(f"select id, payload from raw_oura.{table}") if expected else []
        assert len(rows) == len(expected), table
        assert {r[0] for r in rows} == set(expected), table
        for doc_id, payload in rows[:3]:
            assert json.loads(payload) == expected[doc_id]  # verbatim
    hr_total, hr_distinct = _query("select count(*), count(distinct timestamp) from raw_oura.heart_rate")[0]
    assert hr_total == hr_distinct == mock.cfg.days * 86400 // mock.cfg.heart_rate_every_s
    assert _query("select count(*) from raw_oura.personal_info")[0][0] == 1


def test_backfill_all_collections_in_windows_with_pagination(
    oura_mock: OuraMock, openfit_home, monkeypatch
) -> None:
    _connect_directly(oura_mock)
    # 33 days in 10-day windows, 2 windows per load: several chunked runs, several pages per window
    summary = _sync(oura_mock, monkeypatch, window_days="10", windows_per_run="2")
    assert summary["runs"] == 2
    _assert_matches_mock(oura_mock)
    requested = [q for _m, p, q in oura_mock.requests_log if p == "/sleep"]
    assert any("next_token" in q for q in requested)  # pagination was followed
    assert all(q["start_date"] <= q["end_date"] for q in requested)
    hr = [q for _m, p, q in oura_mock.requests_log if p == "/heartrate"]
    assert hr and all("start_datetime" in q and "end_datetime" in q for q in hr)


def test_resync_reads_only_the_lookback_window_and_adds_no_duplicates(
    oura_mock: OuraMock, openfit_home, monkeypatch
) -> None:
    _connect_directly(oura_mock)
    _sync(oura_mock, monkeypatch, window_days="30", windows_per_run="5")
    oura_mock.requests_log.clear()
    _sync(oura_mock, monkeypatch, window_days="30", windows_per_run="5", lookback_days="3")
    sleep_queries = [q for _m, p, q in oura_mock.requests_log if p == "/sleep" and "next_token" not in q]
    assert sleep_queries == [
        {
            "start_date": (oura_mock.last_day - timedelta(days=2)).isoformat(),
            "end_date": oura_mock.last_day.isoformat(),
        }
    ]
    _assert_matches_mock(oura_mock)
