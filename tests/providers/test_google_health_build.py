"""Google Health end to end: `openfit connect google_health` against the mock (PKCE, offline access; tokens in
the encrypted store), a backfill through the real build (Dagster -> dlt -> dbt -> publish) landing in the
OpenFit tables with converted units and stable device ids, a second build that adds nothing, and a Google
Health exercise plus a FIT file of the same run merged into one activity. Also: `openfit sources` lists
google_health, and without credentials it contributes nothing."""

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

from .mock_servers.google_health import GoogleHealthMock, GoogleHealthMockConfig
from .test_provider_build import KEYS, _counts, _duplicates, _snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingestion" / "files"))
import fit_samples as samples  # noqa: E402  (the FIT generators of tests/ingestion/files, fit-tool)

OWNER = "me"
FIT_SECONDS = 120
PROVIDER = "google_health"
WATCH_ID = f"google_health:{OWNER}:google-pixel-watch-3"
SCALE_ID = f"google_health:{OWNER}:fitbit-aria-air"
RECONCILED_ID = f"google_health:{OWNER}:reconciled"


@pytest.fixture
def google_health_history(monkeypatch: pytest.MonkeyPatch, openfit_home: Path, warehouse_copy):
    """20 days of Google Health history around samples.START, plus a Google copy of the FIT sample run, connected to a copy of the session's built home (its synthetic cohort): the first build with it is
    an increment."""
    config = GoogleHealthMockConfig(
        days=20,
        first_day=date(2024, 4, 22),
        limits={"overall": (10_000, 100_000)},
        heart_rate_every_min=60,
        extra_exercises=[(samples.START, FIT_SECONDS, "RUNNING")],
    )
    with GoogleHealthMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv(
            "OPENFIT_GOOGLE_HEALTH_BACKFILL_SINCE", (config.first_day - timedelta(days=1)).isoformat()
        )
        monkeypatch.setenv("OPENFIT_GOOGLE_HEALTH_WINDOW_DAYS", "1200")  # up to today in few requests
        assert get_settings().files_athlete_id == OWNER  # the home's owner (tests/conftest.py FIXTURE_COHORT)
        monkeypatch.setenv("OPENFIT_SECRET_KEY", Fernet.generate_key().decode())
        get_settings.cache_clear()
        yield mock


def _connect_via_cli(monkeypatch: pytest.MonkeyPatch, mock: GoogleHealthMock) -> None:
    def browser(url: str, new: int = 0) -> bool:
        threading.Thread(
            target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True
        ).start()
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    result = CliRunner().invoke(
        app, ["connect", PROVIDER, "--athlete", OWNER, "--port", "0", "--timeout", "20"]
    )
    assert result.exit_code == 0, result.output
    token = TokenStore.from_settings().load(PROVIDER, OWNER)
    assert token and token["refresh_token"] and token["access_token"] not in result.output
    assert 3000 < token["expires_at"] - token["obtained_at"] <= 3600  # Google's one-hour access token
    assert mock.stats["code_exchange"] == 1


def test_sources_lists_google_health_and_without_credentials_it_contributes_nothing(
    openfit_home, monkeypatch
) -> None:
    monkeypatch.delenv("OPENFIT_GOOGLE_HEALTH_CLIENT_ID", raising=False)
    monkeypatch.delenv("OPENFIT_GOOGLE_HEALTH_CLIENT_SECRET", raising=False)
    result = CliRunner().invoke(app, ["sources"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "google_health" in result.output.lower()
    from orchestration.defs import build_definitions

    defs = build_definitions()
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    assert not {"google_health_sync", "google_health_backfill"} & jobs
    graph = defs.resolve_asset_graph()
    key = next(k for k in graph.get_all_asset_keys() if k.path == ["raw_google_health", "exercise"])
    assert not graph.get(key).is_materializable  # dbt's source, an external asset: the graph keeps its shape


@pytest.mark.slow
def test_build_lands_google_health_in_openfit_tables_and_merges_with_a_fit_file(
    google_health_history: GoogleHealthMock, monkeypatch, tmp_path
) -> None:
    from ingestion.files.importer import import_paths
    from orchestration.build import run_build

    mock = google_health_history
    _connect_via_cli(monkeypatch, mock)
    fit = tmp_path / "run.fit"
    fit.write_bytes(samples.activity(n=FIT_SECONDS))
    assert import_paths([fit], get_settings()).imported == 1

    report = run_build()
    assert report.success, report.failure
    exercises = {p["name"]: p["exercise"] for p in mock.points["exercise"]}
    with _snapshot() as con:
        first = _counts(con)
        rows = con.execute(
            "select external_id, sport, source_sport, kcal, distance_m, avg_hr, duration_s, device_id "
            "from activity_recordings where source = 'google_health'"
        ).fetchall()
        assert {r[0] for r in rows} == set(exercises)
        for external_id, sport, source_sport, kcal, distance, avg_hr, duration_s, device_id in rows:
            summary = exercises[external_id]["metricsSummary"]
            assert kcal == pytest.approx(summary["caloriesKcal"])
            if "distanceMillimeters" in summary:
                assert distance == pytest.approx(summary["distanceMillimeters"] / 1000)  # mm -> m
            assert avg_hr == int(summary["averageHeartRateBeatsPerMinute"])
            expected_sport = {"RUNNING": "running", "WALKING": "walking", "OUTDOOR_BIKE": "cycling",
                              "STRENGTH_TRAINING": "strength_training", "SWIMMING_POOL": "swimming"}  # fmt: skip
            assert sport == expected_sport.get(source_sport, "other")
            assert device_id == WATCH_ID
            assert duration_s > 0

        # the Google copy of the FIT run and the FIT file are one activity
        extra = next(
            n for n, e in exercises.items() if e["interval"]["startTime"].startswith("2024-05-01T06:00:00")
        )
        merged = con.execute(
            "select source, recording_role, start_time from activity_recordings where activity_id = "
            "(select activity_id from activity_recordings where recording_id = ?) order by source",
            [f"google_health:{extra}"],
        ).fetchall()
        assert sorted(r[0] for r in merged) == ["files", "google_health"], merged
        assert {r[2] for r in merged} == {samples.START}

        sleeps = [p["sleep"] for p in mock.points["sleep"]]
        sleep = con.execute(
            "select count(*), sum(deep_s), sum(duration_s) from sleep_sessions where source = 'google_health'"
        ).fetchone()
        assert sleep[0] == len(sleeps)
        deep_minutes = sum(
            int(s["minutes"]) for sl in sleeps for s in sl["summary"]["stagesSummary"] if s["type"] == "DEEP"
        )
        assert sleep[1] == pytest.approx(deep_minutes * 60)  # minutes -> seconds
        stages = con.execute(
            "select count(*) from sleep_stages where sleep_id like 'google_health:%'"
        ).fetchone()[0]
        assert stages == sum(len(sl["stages"]) for sl in sleeps)

        metrics = {
            m: (n, unit, total, devices)
            for m, n, unit, total, devices in con.execute(
                "select metric, count(*), any_value(unit), sum(value), list(distinct device_id) from metrics "
                "where source = 'google_health' group by metric"
            ).fetchall()
        }
        hrv = [p["dailyHeartRateVariability"] for p in mock.points["daily-heart-rate-variability"]]
        assert metrics["hrv_rmssd"][:2] == (len(hrv), "ms")  # RMSSD, never SDNN
        assert metrics["hrv_rmssd"][2] == pytest.approx(
            sum(h["averageHeartRateVariabilityMilliseconds"] for h in hrv)
        )
        assert "hrv_sdnn" not in metrics
        assert metrics["resting_heart_rate"][:2] == (len(mock.points["daily-resting-heart-rate"]), "bpm")
        assert metrics["spo2"][:2] == (len(mock.points["daily-oxygen-saturation"]), "%")
        assert metrics["heart_rate"][:2] == (len(mock.points["heart-rate"]), "bpm")
        assert metrics["heart_rate"][3] == [WATCH_ID]
        weights = [p["weight"]["weightGrams"] for p in mock.points["weight"]]
        assert metrics["weight"][:3] == (len(weights), "kg", pytest.approx(sum(weights) / 1000))  # g -> kg
        assert metrics["weight"][3] == [SCALE_ID]
        assert metrics["body_fat"][:2] == (len(mock.points["body-fat"]), "%")

        steps = con.execute(
            "select sum(steps), any_value(device_id) from wellness_daily_by_source "
            "where source = 'google_health' and steps is not null"
        ).fetchone()
        assert steps == (sum(int(p["steps"]["count"]) for p in mock.points["steps"]), RECONCILED_ID)
        devices = dict(
            con.execute(
                "select device_id, device_type from devices where device_id like 'google_health:%'"
            ).fetchall()
        )
        assert devices == {WATCH_ID: "watch", SCALE_ID: "scale", RECONCILED_ID: "other"}
        assert _duplicates(con) == {}

    requests_before = mock.stats["api_requests"]
    report = run_build()  # re-sync: nothing new upstream, nothing duplicated
    assert report.success, report.failure
    assert mock.stats["api_requests"] > requests_before  # it did ask again (the look-back days)
    with _snapshot() as con:
        assert _counts(con) == first
        assert _duplicates(con) == {}
    assert set(KEYS) <= set(first)
