"""WHOOP end to end: `openfit connect whoop` against the mock (tokens in the encrypted store), a backfill
through the real build (Dagster -> dlt -> dbt -> publish) landing in the OpenFit tables with converted units,
a second build that adds nothing, and a WHOOP workout plus a FIT file of the same run merged into one
activity. Also: `openfit sources` lists whoop, and without credentials WHOOP contributes nothing."""

from __future__ import annotations

import sys
import threading
import webbrowser
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

import cli.connect_cmds  # noqa: F401  (registers the commands)
from cli import app
from ingestion.auth.tokens import TokenStore
from openfit.settings import get_settings

from .mock_servers.whoop import WhoopMock, WhoopMockConfig
from .test_provider_build import KEYS, _counts, _duplicates, _snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingestion" / "files"))
import fit_samples as samples  # noqa: E402  (the FIT generators of tests/ingestion/files, fit-tool)

# Imported files belong to OPENFIT_FILES_ATHLETE_ID: set to the WHOOP connection's athlete, the FIT file and
# the WHOOP workout are one athlete's workout.
OWNER = "me"
FIT_SECONDS = 120


@pytest.fixture
def whoop_history(monkeypatch: pytest.MonkeyPatch, openfit_home: Path, warehouse_copy):
    """20 days of WHOOP history around samples.START, plus a WHOOP copy of the FIT sample run, connected to a copy of the session's built home (its synthetic cohort): the first build with it is
    an increment."""
    config = WhoopMockConfig(
        days=20,
        first_day=date(2024, 4, 22),
        limits={"overall": (10_000, 100_000)},
        extra_workouts=[(samples.START, FIT_SECONDS, "running")],
    )
    with WhoopMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("OPENFIT_WHOOP_BACKFILL_SINCE", (config.first_day - timedelta(days=1)).isoformat())
        monkeypatch.setenv("OPENFIT_WHOOP_WINDOW_DAYS", "120")  # up to today in few requests
        assert get_settings().files_athlete_id == OWNER  # the home's owner (tests/conftest.py FIXTURE_COHORT)
        monkeypatch.setenv("OPENFIT_SECRET_KEY", Fernet.generate_key().decode())
        get_settings.cache_clear()
        yield mock


def _connect_via_cli(monkeypatch: pytest.MonkeyPatch, mock: WhoopMock) -> None:
    def browser(url: str, new: int = 0) -> bool:
        threading.Thread(
            target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True
        ).start()
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    result = CliRunner().invoke(
        app, ["connect", "whoop", "--athlete", OWNER, "--port", "0", "--timeout", "20"]
    )
    assert result.exit_code == 0, result.output
    token = TokenStore.from_settings().load("whoop", OWNER)
    assert token and token["refresh_token"] and token["access_token"] not in result.output
    assert "offline" in token["scope"].split()
    assert 3000 < token["expires_at"] - token["obtained_at"] <= 3600  # WHOOP's one-hour access token
    assert mock.stats["code_exchange"] == 1


def test_sources_lists_whoop_and_without_credentials_it_contributes_nothing(
    openfit_home, monkeypatch
) -> None:
    monkeypatch.delenv("OPENFIT_WHOOP_CLIENT_ID", raising=False)
    monkeypatch.delenv("OPENFIT_WHOOP_CLIENT_SECRET", raising=False)
    result = CliRunner().invoke(app, ["sources"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "whoop" in result.output.lower()
    from orchestration.defs import build_definitions

    defs = build_definitions()
    assert not {"whoop_sync", "whoop_backfill"} & {job.name for job in defs.resolve_all_job_defs()}
    graph = defs.resolve_asset_graph()
    node = graph.get(next(k for k in graph.get_all_asset_keys() if k.path == ["raw_whoop", "workout"]))
    assert not node.is_materializable  # dbt's source, an external asset: the graph keeps its shape


def test_definitions_with_whoop_credentials_have_group_schedule_and_backfill(whoop_mock) -> None:
    from orchestration.defs import build_definitions

    defs = build_definitions()
    assert {"whoop_sync", "whoop_backfill"} <= {job.name for job in defs.resolve_all_job_defs()}
    assert defs.resolve_schedule_def("whoop_schedule").cron_schedule == "30 3 * * *"
    graph = defs.resolve_asset_graph()
    node = graph.get(next(k for k in graph.get_all_asset_keys() if k.path == ["raw_whoop", "recovery"]))
    assert node.is_materializable and node.group_name == "whoop"


@pytest.mark.slow
def test_build_lands_whoop_in_openfit_tables_and_merges_with_a_fit_file(
    whoop_history: WhoopMock, monkeypatch, tmp_path
) -> None:
    from ingestion.files.importer import import_paths
    from orchestration.build import run_build

    mock = whoop_history
    _connect_via_cli(monkeypatch, mock)
    fit = tmp_path / "run.fit"
    fit.write_bytes(samples.activity(n=FIT_SECONDS))
    assert import_paths([fit], get_settings()).imported == 1

    report = run_build()
    assert report.success, report.failure
    workouts = {w["id"]: w for w in mock.docs["workout"]}
    with _snapshot() as con:
        first = _counts(con)
        rows = con.execute(
            "select external_id, sport, kcal, distance_m, avg_hr, max_hr, duration_s, device_id "
            "from activity_recordings where source = 'whoop'"
        ).fetchall()
        assert {r[0] for r in rows} == set(workouts)
        for external_id, sport, kcal, distance, avg_hr, max_hr, duration_s, device_id in rows:
            score = workouts[external_id]["score"]
            assert kcal == pytest.approx(score["kilojoule"] / 4.184)  # kJ -> kcal
            assert distance == pytest.approx(score.get("distance_meter")) if distance else True
            assert (avg_hr, max_hr) == (score["average_heart_rate"], score["max_heart_rate"])
            assert sport in {"running", "cycling", "walking", "strength_training"}
            assert device_id == f"whoop:{OWNER}:band"
            assert duration_s > 0

        # the WHOOP copy of the FIT run and the FIT file are one activity; the file's device leads it
        extra = next(w for w in workouts.values() if w["start"].startswith("2024-05-01T06:00:00"))
        merged = con.execute(
            "select source, recording_role, device_id, start_time from activity_recordings where activity_id = "
            "(select activity_id from activity_recordings where recording_id = ?) order by source",
            [f"whoop:{extra['id']}"],
        ).fetchall()
        assert [(r[0], r[1]) for r in merged] == [("files", "primary"), ("whoop", "merged")], merged
        assert merged[0][3] == merged[1][3] == samples.START

        sleeps = mock.docs["sleep"]
        sleep = con.execute(
            "select count(*), sum(deep_s), sum(duration_s) from sleep_sessions where source = 'whoop'"
        ).fetchone()
        assert sleep[0] == len(sleeps)
        assert sleep[1] == pytest.approx(
            sum(s["score"]["stage_summary"]["total_slow_wave_sleep_time_milli"] for s in sleeps) / 1000
        )
        assert sleep[2] == pytest.approx(
            sum(s["score"]["stage_summary"]["total_in_bed_time_milli"] for s in sleeps) / 1000, abs=1
        )

        scored = [r for r in mock.docs["recovery"] if r["score_state"] == "SCORED"]
        metrics = dict(
            (m, (n, unit, total))
            for m, n, unit, total in con.execute(
                "select metric, count(*), any_value(unit), sum(value) from metrics where source = 'whoop' "
                "group by metric"
            ).fetchall()
        )
        assert metrics["hrv_rmssd"][:2] == (len(scored), "ms")  # RMSSD, never SDNN
        assert metrics["hrv_rmssd"][2] == pytest.approx(sum(r["score"]["hrv_rmssd_milli"] for r in scored))
        assert "hrv_sdnn" not in metrics
        assert metrics["resting_heart_rate"][:2] == (len(scored), "bpm")
        assert metrics["spo2"][:2] == (len(scored), "%")
        assert metrics["skin_temperature"][:2] == (len(scored), "°C")
        assert metrics["whoop_recovery_score"][:2] == (len(scored), "%")
        assert metrics["whoop_strain"][0] == len(mock.docs["cycle"])
        assert metrics["weight"][1:] == ("kg", 72.5) and metrics["height"][1:] == ("m", pytest.approx(1.8288))
        wellness = con.execute(
            "select count(*), count(resting_hr), count(hrv_rmssd_ms) from wellness_daily_by_source "
            "where source = 'whoop'"
        ).fetchone()
        assert wellness[1] == wellness[2] == len(scored)
        assert (
            con.execute(
                "select count(*) from devices where device_id = ?", [f"whoop:{OWNER}:band"]
            ).fetchone()[0]
            == 1
        )
        assert _duplicates(con) == {}

    requests_before = mock.stats["api_requests"]
    report = run_build()  # re-sync: nothing new upstream, nothing duplicated
    assert report.success, report.failure
    assert mock.stats["api_requests"] > requests_before  # it did ask again (the look-back days)
    with _snapshot() as con:
        assert _counts(con) == first
        assert _duplicates(con) == {}
    assert set(KEYS) <= set(first)
