"""Strava and Oura through the real build: Dagster syncs the connected athlete from the mock servers, dbt
lands the data in the OpenFit tables, the snapshot is published; a second build adds nothing. And the code
location loads with and without provider credentials."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from cryptography.fernet import Fernet

from ingestion.auth.tokens import TokenStore
from openfit.settings import get_settings

from .mock_servers.oura import OuraMock
from .mock_servers.strava import StravaMock

KEYS = {
    "activity_recordings": "recording_id",
    "activity_samples": "recording_id, ts",
    "laps": "recording_id, lap_index",
    "sleep_sessions": "sleep_id",
    "sleep_stages": "sleep_id, start_time",
    "wellness_daily": "athlete_id, date",
    "wellness_daily_by_source": "athlete_id, date, source, device_id",
    "metrics": "athlete_id, source, device_id, metric, ts",
    "devices": "device_id",
    "athletes": "athlete_id",
}


@pytest.fixture
def small_cohort(monkeypatch: pytest.MonkeyPatch, openfit_home: Path, warehouse_copy) -> None:
    """The providers connected to a copy of the session's built home (its synthetic cohort, with a fixed end
    date: with "today" the synthetic all-day series would grow between two builds)."""
    monkeypatch.setenv("OPENFIT_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()


def _connect(strava: StravaMock, oura: OuraMock, athlete: str) -> None:
    store = TokenStore.from_settings()
    for name, token in (
        ("strava", strava.issue_tokens(athlete_id=strava.cfg.athlete, scope="read,activity:read_all")),
        ("oura", oura.issue_tokens(scope="personal daily heartrate workout session spo2")),
    ):
        store.save(
            name, athlete, {k: token[k] for k in ("access_token", "refresh_token", "expires_at", "scope")}
        )


def _snapshot() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(get_settings().home_dir / "serving" / "snapshot.duckdb"), read_only=True)
    con.execute("use openfit")
    return con


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in KEYS}


def _duplicates(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    found = {}
    for table, key in KEYS.items():
        n = con.execute(f"select count(*) from (select {key} from {table} group by all having count(*) > 1)")
        if (count := n.fetchone()[0]) > 0:
            found[table] = count
    return found


def test_definitions_load_without_provider_credentials(openfit_home, monkeypatch) -> None:
    for name in ("STRAVA", "OURA"):
        monkeypatch.delenv(f"OPENFIT_{name}_CLIENT_ID", raising=False)
        monkeypatch.delenv(f"OPENFIT_{name}_CLIENT_SECRET", raising=False)
    from orchestration.defs import build_definitions

    defs = build_definitions()
    job_names = {job.name for job in defs.resolve_all_job_defs()}
    assert not {"strava_backfill", "oura_backfill", "strava_sync", "oura_sync"} & job_names
    graph = defs.resolve_asset_graph()
    # the dbt sources still name the raw tables (as external assets): the graph keeps its shape
    key = graph.get(next(k for k in graph.get_all_asset_keys() if k.path == ["raw_strava", "activities"]))
    assert not key.is_materializable


def test_definitions_with_credentials_have_group_schedule_and_backfill(
    strava_mock, oura_mock, monkeypatch
) -> None:
    monkeypatch.setenv("OPENFIT_STRAVA_SCHEDULE_CRON", "5 1 * * *")
    from orchestration.defs import REFRESH_JOB, build_definitions

    defs = build_definitions()
    job_names = {job.name for job in defs.resolve_all_job_defs()}
    assert {"strava_sync", "strava_backfill", "oura_sync", "oura_backfill"} <= job_names
    assert defs.resolve_schedule_def("strava_schedule").cron_schedule == "5 1 * * *"
    assert defs.resolve_schedule_def("oura_schedule").cron_schedule == "45 2 * * *"
    graph = defs.resolve_asset_graph()
    for provider, table in (("strava", "activity_streams"), ("oura", "sleep")):
        node = graph.get(next(k for k in graph.get_all_asset_keys() if k.path == [f"raw_{provider}", table]))
        assert node.is_materializable and node.group_name == provider
    refresh_ops = {node.name for node in defs.resolve_job_def(REFRESH_JOB).graph.node_dict.values()}
    assert {"raw_strava", "raw_oura"} <= refresh_ops
    # a provider's backfill leaves the other extracts out but rebuilds everything downstream
    backfill_ops = {node.name for node in defs.resolve_job_def("strava_backfill").graph.node_dict.values()}
    assert "raw_strava" in backfill_ops and "raw_oura" not in backfill_ops and "openfit_dbt" in backfill_ops


@pytest.mark.slow
def test_build_lands_strava_and_oura_in_openfit_tables(
    strava_mock: StravaMock, oura_mock: OuraMock, small_cohort, monkeypatch
) -> None:
    from orchestration.build import run_build

    monkeypatch.setenv(
        "OPENFIT_OURA_BACKFILL_SINCE", (oura_mock.cfg.first_day - timedelta(days=1)).isoformat()
    )
    _connect(strava_mock, oura_mock, "me")

    report = run_build()
    assert report.success, report.failure
    with _snapshot() as con:
        first = _counts(con)
        recordings = con.execute(
            "select count(*), count(distinct activity_id) from activity_recordings where source = 'strava'"
        ).fetchone()
        assert recordings == (len(strava_mock.activity_ids), len(strava_mock.activity_ids))
        # units: Strava's m and m/s arrive unchanged, its sport types map to the OpenFit vocabulary
        summary = strava_mock._activities[0]
        row = con.execute(
            "select distance_m, avg_speed_mps, duration_s, sport from activity_recordings "
            "where recording_id = ?",
            [f"strava:{summary['id']}"],
        ).fetchone()
        assert row[:3] == pytest.approx(
            (summary["distance"], summary["average_speed"], summary["elapsed_time"])
        )
        assert row[3] in {"running", "cycling", "swimming", "walking"}
        samples = con.execute(
            "select count(*), count(lat), max(heart_rate) from activity_samples "
            "where recording_id in (select recording_id from activity_recordings where source = 'strava')"
        ).fetchone()
        assert samples[0] > 0 and samples[1] > 0 and 25 < samples[2] < 250
        laps = con.execute(
            "select count(*) from laps where recording_id in "
            "(select recording_id from activity_recordings where source = 'strava')"
        ).fetchone()[0]
        assert laps == sum(1 + aid % 4 for aid in strava_mock.activity_ids)

        sleep_docs = oura_mock.docs["sleep"]
        sleep = con.execute(
            "select count(*), sum(duration_s) from sleep_sessions where source = 'oura' and athlete_id = 'me'"
        ).fetchone()
        assert sleep[0] == len(sleep_docs)
        assert sleep[1] == pytest.approx(sum(d["time_in_bed"] for d in sleep_docs))
        stages = con.execute("select count(*) from sleep_stages where sleep_id like 'oura:%'").fetchone()[0]
        assert stages > 0
        wellness = con.execute(
            "select count(*), sum(steps) from wellness_daily_by_source where source = 'oura'"
        ).fetchone()
        assert wellness[0] >= oura_mock.cfg.days - 1
        assert wellness[1] == sum(d["steps"] for d in oura_mock.docs["daily_activity"])
        heart_rate = con.execute(
            "select count(*), any_value(unit) from metrics where source = 'oura' and metric = 'heart_rate'"
        ).fetchone()
        assert heart_rate == (oura_mock.cfg.days * 86400 // oura_mock.cfg.heart_rate_every_s, "bpm")
        assert con.execute("select count(*) from athletes where athlete_id = 'me'").fetchone()[0] == 1
        assert _duplicates(con) == {}

    report = run_build()  # re-sync: nothing new upstream, nothing duplicated
    assert report.success, report.failure
    with _snapshot() as con:
        assert _counts(con) == first
        assert _duplicates(con) == {}
