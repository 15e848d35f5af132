"""Withings through the real build: `openfit connect withings` (tokens in the store), Dagster syncs the
connected athlete from the mock server, dbt lands measures, daily activity, sleep and workouts in the OpenFit
tables with converted units, a Withings workout and a FIT file of the same run merge into one activity, a
second build adds nothing, and the rotating refresh token survives two refreshes."""

from __future__ import annotations

import sys
import threading
import webbrowser
from datetime import timedelta
from pathlib import Path

import duckdb
import httpx
import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

import cli.connect_cmds  # noqa: F401  (registers the commands; cli imports it too)
from cli import app
from ingestion.auth.tokens import TokenStore
from ingestion.pipelines import provider_pipeline
from ingestion.sources.withings import WithingsSettings, make_client, sync_withings
from openfit.settings import get_settings

from .mock_servers.withings import WithingsMock, WithingsMockConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingestion" / "files"))
import fit_samples as samples  # noqa: E402  (the FIT generators of tests/ingestion/files)

# Imported files belong to the athlete of the setting files_athlete_id (default 'files:owner', which is no valid
# connection name): the session's home names the connected athlete there (tests/conftest.py), as a user would, so
# a FIT file and a Withings workout of one run belong to one athlete.
ATHLETE = "me"
FIT_SECONDS = 1800
KEYS = {
    "activity_recordings": "recording_id",
    "sleep_sessions": "sleep_id",
    "wellness_daily_by_source": "athlete_id, date, source, device_id",
    "metrics": "athlete_id, source, device_id, metric, ts",
    "devices": "device_id",
    "athletes": "athlete_id",
}


def _browser(url: str, new: int = 0) -> bool:
    threading.Thread(target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True).start()
    return True


@pytest.fixture
def withings_home(monkeypatch: pytest.MonkeyPatch, openfit_home: Path, warehouse_copy):
    """Withings connected to a copy of the session's built home (its synthetic cohort): the first build with it
    is an increment."""
    monkeypatch.setenv("OPENFIT_SECRET_KEY", Fernet.generate_key().decode())
    for name in ("STRAVA", "OURA"):
        monkeypatch.delenv(f"OPENFIT_{name}_CLIENT_ID", raising=False)
        monkeypatch.delenv(f"OPENFIT_{name}_CLIENT_SECRET", raising=False)
    config = WithingsMockConfig(days=20, first_day=samples.START.date(), page_size=6)
    with WithingsMock(config) as mock:
        # the first workout is the FIT file's run: same start, same length, sport 'run' (category 2)
        start = int(samples.START.timestamp())
        mock.workouts[0].update(category=2, startdate=start, enddate=start + FIT_SECONDS)
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv(
            "OPENFIT_WITHINGS_BACKFILL_SINCE", (config.first_day - timedelta(days=1)).isoformat()
        )
        get_settings.cache_clear()
        assert get_settings().files_athlete_id == ATHLETE  # the owner, tests/conftest.py FIXTURE_COHORT
        yield mock


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


def test_sources_lists_withings_and_it_contributes_nothing_without_credentials(openfit_home, monkeypatch):
    monkeypatch.delenv("OPENFIT_WITHINGS_CLIENT_ID", raising=False)
    monkeypatch.delenv("OPENFIT_WITHINGS_CLIENT_SECRET", raising=False)
    result = CliRunner().invoke(app, ["sources"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "withings" in result.output
    from orchestration.defs import build_definitions

    defs = build_definitions()
    assert not {"withings_sync", "withings_backfill"} & {job.name for job in defs.resolve_all_job_defs()}
    graph = defs.resolve_asset_graph()
    node = graph.get(next(k for k in graph.get_all_asset_keys() if k.path == ["raw_withings", "workouts"]))
    assert not node.is_materializable


@pytest.mark.slow
def test_connect_build_merge_and_rotation(withings_home: WithingsMock, monkeypatch, tmp_path) -> None:
    from ingestion.files.importer import import_paths
    from orchestration.build import run_build

    mock = withings_home
    monkeypatch.setattr(webbrowser, "open", _browser)
    runner = CliRunner()
    result = runner.invoke(
        app, ["connect", "withings", "--athlete", ATHLETE, "--port", "0", "--timeout", "20"]
    )
    assert result.exit_code == 0, result.output
    token = TokenStore.from_settings().load("withings", ATHLETE)
    assert token["provider_user_id"] == str(mock.cfg.userid)  # unwrapped from {"status": 0, "body": {...}}
    assert mock.stats["code_exchange"] == 1

    fit = tmp_path / "in" / "run.fit"
    fit.parent.mkdir(parents=True)
    fit.write_bytes(samples.activity(n=FIT_SECONDS))
    assert import_paths([fit], get_settings()).imported == 1

    report = run_build()
    assert report.success, report.failure
    with _snapshot() as con:
        first = _counts(con)
        # measures: value * 10^unit (72500, -3 -> 72.5 kg) as a weigh-in; pulse and SpO2 as metrics
        weight = con.execute(
            "select value, unit from metrics where source = 'withings' and metric = 'weight' order by ts limit 1"
        ).fetchone()
        assert weight == (pytest.approx(72.5), "kg")
        per_metric = dict(
            con.execute(
                "select metric, count(*) from metrics where source = 'withings' group by metric"
            ).fetchall()
        )
        days = mock.cfg.days
        assert per_metric["weight"] == days and per_metric["body_fat"] == days
        assert per_metric["heart_rate"] == len(range(0, days, 3)) and per_metric["spo2"] == len(
            range(0, days, 5)
        )
        spo2 = con.execute(
            "select min(value), max(value) from metrics where metric = 'spo2' and source = 'withings'"
        )
        assert 95 <= spo2.fetchone()[0] <= 99
        # daily activity -> wellness by source; sleep summaries -> sleep sessions
        steps = con.execute(
            "select count(*), sum(steps) from wellness_daily_by_source where source = 'withings' and steps is not null"
        ).fetchone()
        assert steps == (days, sum(a["steps"] for a in mock.activities))
        sleep = con.execute(
            "select count(*), sum(duration_s), sum(deep_s), avg(avg_hr) from sleep_sessions where source = 'withings'"
        ).fetchone()
        assert sleep[0] == len(mock.sleep)
        assert sleep[1] == pytest.approx(sum(s["enddate"] - s["startdate"] for s in mock.sleep))
        assert sleep[2] == pytest.approx(sum(s["data"]["deepsleepduration"] for s in mock.sleep))
        # workouts -> recordings on the watch; the first one and the FIT file are one activity
        recordings = con.execute(
            "select count(*), count(distinct device_id) from activity_recordings where source = 'withings'"
        ).fetchone()
        assert recordings == (len(mock.workouts), 1)
        device = con.execute(
            "select vendor, device_type from devices where device_id = "
            "(select any_value(device_id) from activity_recordings where source = 'withings')"
        ).fetchone()
        assert device == ("withings", "watch")
        merged = con.execute(
            "select count(distinct activity_id), list(source order by source) from activity_recordings "
            "where activity_id = (select activity_id from activity_recordings where recording_id = ?)",
            [f"withings:{mock.workouts[0]['id']}"],
        ).fetchone()
        assert merged[0] == 1 and sorted(merged[1]) == ["files", "withings"]
        assert con.execute("select count(*) from athletes where athlete_id = ?", [ATHLETE]).fetchone()[0] == 1
        assert _duplicates(con) == {}

    mock.expire_access_tokens()  # the next sync is answered {"status": 401}: refresh #1, in the build
    report = run_build()  # re-sync: nothing new upstream, nothing duplicated
    assert report.success, report.failure
    with _snapshot() as con:
        assert _counts(con) == first
        assert _duplicates(con) == {}
    assert mock.stats["refresh"] == 1

    mock.expire_access_tokens()  # refresh #2 with the rotated refresh token the first refresh stored
    settings = WithingsSettings()
    client = make_client(settings, ATHLETE)
    try:
        summary = sync_withings(provider_pipeline("withings"), ATHLETE, settings, client=client)
    finally:
        client.close()
    assert summary["http_401"] == 1
    assert mock.stats["refresh"] == 2 and mock.stats["invalid_grant"] == 0
