"""The Strava dlt source against the mock API: backfill, re-sync, look-back edits, 429 storms, 5xx, pacing,
and kill -9 in the middle of a backfill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from ingestion.auth.tokens import TokenStore
from ingestion.pipelines import provider_pipeline
from ingestion.sources.strava import StravaSettings, make_client, sync_strava
from openfit.settings import get_settings

from .mock_servers.strava import StravaMock, StravaMockConfig

TABLES = {"activities": "activity_id", "activity_details": "activity_id", "activity_streams": "activity_id"}


def _connect_directly(mock: StravaMock, athlete: str = "me") -> None:
    """Start from an existing connection (the OAuth flow itself is tested in test_oauth_flow)."""
    token = mock.issue_tokens(athlete_id=mock.cfg.athlete, scope="read,activity:read_all,profile:read_all")
    TokenStore.from_settings().save(
        "strava", athlete, {k: token[k] for k in ("access_token", "refresh_token", "expires_at", "scope")}
    )


def _query(sql: str) -> list[tuple]:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _sync(settings: StravaSettings | None = None, **kwargs) -> dict:
    settings = settings or StravaSettings()
    client = make_client(settings, "me")
    client.backoff_base_s = 0.01
    try:
        return sync_strava(provider_pipeline("strava"), "me", settings, client=client, **kwargs)
    finally:
        client.close()


def _assert_complete_and_unique(mock: StravaMock) -> None:
    expected = len(mock.activity_ids)
    for table, key in TABLES.items():
        total, distinct = _query(f"select count(*), count(distinct {key}) from raw_strava.{table}")[0]
        assert (total, distinct) == (expected, expected), table
    laps_total, laps_distinct = _query(
        "select count(*), count(distinct (activity_id, lap_index)) from raw_strava.laps"
    )[0]
    assert laps_total == laps_distinct == sum(1 + aid % 4 for aid in mock.activity_ids)


def test_backfill_loads_raw_payloads_verbatim(strava_mock: StravaMock) -> None:
    _connect_directly(strava_mock)
    summary = _sync(chunk_activities=10)
    assert summary["runs"] == 3 and summary["resume"] is False
    _assert_complete_and_unique(strava_mock)

    first_id = strava_mock.activity_ids[0]
    payload, source, start = _query(
        f"select payload, _source, start_date from raw_strava.activities where activity_id = {first_id}"
    )[0]
    mock_summary = next(a for a in strava_mock._activities if a["id"] == first_id)
    assert json.loads(payload) == mock_summary  # verbatim vendor JSON
    assert source == "strava" and start.isoformat().startswith(mock_summary["start_date"][:19])
    streams = json.loads(
        _query(f"select payload from raw_strava.activity_streams where activity_id = {first_id}")[0][0]
    )
    assert {
        "time",
        "heartrate",
        "altitude",
        "velocity_smooth",
        "cadence",
        "temp",
        "moving",
        "grade_smooth",
    } <= set(streams)
    assert len(streams["time"]["data"]) == streams["time"]["original_size"]
    assert _query("select count(*) from raw_strava.athlete")[0][0] == 1
    zones = json.loads(_query("select payload from raw_strava.athlete_zones")[0][0])
    assert set(zones) == {"heart_rate", "power"}
    # our requests asked for exactly the stream types of the issue, keyed by type
    stream_queries = [q for m, p, q in strava_mock.requests_log if p.endswith("/streams")]
    assert stream_queries and all(q["key_by_type"] == "true" for q in stream_queries)
    assert set(stream_queries[0]["keys"].split(",")) == {
        "time",
        "distance",
        "latlng",
        "altitude",
        "velocity_smooth",
        "heartrate",
        "cadence",
        "watts",
        "temp",
        "moving",
        "grade_smooth",
    }


def test_resync_is_a_noop_and_lookback_picks_up_edits(strava_mock: StravaMock) -> None:
    _connect_directly(strava_mock)
    _sync(chunk_activities=50)
    before = _query("select activity_id, payload from raw_strava.activities order by 1")

    _sync(chunk_activities=50)  # nothing changed at Strava
    assert _query("select activity_id, payload from raw_strava.activities order by 1") == before
    _assert_complete_and_unique(strava_mock)

    strava_mock.edit_activity(
        len(strava_mock.activity_ids) - 1, name="Renamed after upload"
    )  # inside look-back
    _sync(chunk_activities=50)
    last_id = strava_mock.activity_ids[-1]
    name = _query(f"select payload->>'name' from raw_strava.activities where activity_id = {last_id}")[0][0]
    assert name == "Renamed after upload"
    _assert_complete_and_unique(strava_mock)


def test_sync_state_is_kept_per_athlete(strava_mock: StravaMock) -> None:
    _connect_directly(strava_mock, "me")
    _connect_directly(strava_mock, "anna")
    settings = StravaSettings()
    pipeline = provider_pipeline("strava")
    for athlete in ("me", "anna"):
        strava_mock.served.clear()
        client = make_client(settings, athlete)
        try:
            summary = sync_strava(pipeline, athlete, settings, client=client, chunk_activities=50)
        finally:
            client.close()
        # the second athlete's backfill starts from its own (empty) cursor, not from the first one's
        assert sum(1 for k in strava_mock.served if k.startswith("streams:")) == len(strava_mock.activity_ids)
        assert summary["cursor"] is not None
    state = pipeline.state["sources"]["strava"]["resources"]["activities"]
    assert set(state) == {"me", "anna"}


def test_429_storm_and_server_errors_are_ridden_out(strava_mock: StravaMock) -> None:
    _connect_directly(strava_mock)
    strava_mock.storm(40, retry_after_s=0.02)
    strava_mock.fail_next(500, 502, 503, 503)
    summary = _sync(chunk_activities=50)
    assert summary["http_429"] >= 40 and summary["http_5xx"] == 4
    _assert_complete_and_unique(strava_mock)


def test_pacing_from_headers_never_hits_the_limit(
    openfit_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 12 reads per 1.5-second window: the ~40 requests of this backfill span several windows
    config = StravaMockConfig(
        activities=12, window_lengths_s=(1.5, 600.0), limits={"overall": (24, 2000), "read": (12, 1000)}
    )
    with StravaMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        _connect_directly(mock)
        summary = _sync(chunk_activities=50)
        assert mock.stats["http_429"] == 0 and summary.get("http_429", 0) == 0
        assert mock.stats["api_requests"] >= 12 * 3 + 3
        _assert_complete_and_unique(mock)


BACKFILL = textwrap.dedent(
    """
    from ingestion.pipelines import provider_pipeline
    from ingestion.sources.strava import StravaSettings, sync_strava
    sync_strava(provider_pipeline("strava"), "me", StravaSettings(), chunk_activities=5)
    """
)


@pytest.mark.slow
def test_kill_9_mid_backfill_then_resume_without_loss_or_duplicates(
    openfit_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = StravaMockConfig(
        activities=30,
        latency_s=(0.01, 0.03),
        limits={"overall": (20_000, 200_000), "read": (10_000, 100_000)},
    )
    with StravaMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        _connect_directly(mock)
        child = subprocess.Popen(
            [sys.executable, "-c", BACKFILL],
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.time() + 180
        # chunks run one after another: once streams of the 8th activity are served, chunk 1 is committed
        while sum(1 for k in mock.served if k.startswith("streams:")) < 8 and time.time() < deadline:
            assert child.poll() is None, child.communicate()[1][-2000:]
            time.sleep(0.01)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        served_before = {k for k in mock.served if k.startswith("streams:")}
        assert len(served_before) < 30  # killed in the middle

        mock.served.clear()
        summary = _sync(chunk_activities=5)
        assert summary["resume"] is False
        _assert_complete_and_unique(mock)
        resumed = [k for k in mock.served if k.startswith("streams:")]
        assert len(resumed) <= 30 - 5 + 1  # the committed chunk was not fetched again
