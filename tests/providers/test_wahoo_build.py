"""Wahoo end to end: `openfit connect wahoo` against the mock (tokens in the encrypted store), a backfill
through the real build (Dagster -> dlt -> dbt -> publish) landing in the OpenFit tables with the summary's
decimal strings as numbers in OpenFit units, a workout's FIT file fetched from its file.url into the inbox,
imported and merged with the workout into one activity (the file leads, with its samples), and a re-sync that
adds nothing. Also: `openfit sources` lists wahoo, and without credentials
Wahoo contributes nothing."""

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

from .mock_servers.wahoo import WahooMock, WahooMockConfig
from .test_provider_build import KEYS, _counts, _duplicates, _snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingestion" / "files"))
import fit_samples as samples  # noqa: E402  (the FIT generators of tests/ingestion/files, fit-tool)

# Imported files belong to OPENFIT_FILES_ATHLETE_ID: set to the Wahoo connection's athlete, the FIT file and
# the Wahoo workout are one athlete's workout.
OWNER = "me"
FIT_SECONDS = 120
RUNNING = 1  # Wahoo workout_type_id RUNNING


@pytest.fixture
def wahoo_history(monkeypatch: pytest.MonkeyPatch, openfit_home: Path, warehouse_copy):
    """20 days of Wahoo workouts around samples.START, plus a Wahoo copy of the FIT sample run, connected to a
    copy of the session's built home (its synthetic cohort): the first build with Wahoo is an increment."""
    config = WahooMockConfig(
        days=20,
        first_day=date(2024, 4, 22),
        limits={"overall": (10_000, 100_000)},
        extra_workouts=[(samples.START, FIT_SECONDS, RUNNING)],
    )
    with WahooMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("OPENFIT_WAHOO_BACKFILL_SINCE", (config.first_day - timedelta(days=1)).isoformat())
        monkeypatch.setenv("OPENFIT_WAHOO_PER_PAGE", "8")  # a few pages
        monkeypatch.setenv("OPENFIT_WAHOO_DOWNLOAD_FIT_FILES", "true")
        assert get_settings().files_athlete_id == OWNER  # the home's owner (tests/conftest.py FIXTURE_COHORT)
        monkeypatch.setenv("OPENFIT_SECRET_KEY", Fernet.generate_key().decode())
        get_settings.cache_clear()
        yield mock


def _connect_via_cli(monkeypatch: pytest.MonkeyPatch, mock: WahooMock) -> None:
    def browser(url: str, new: int = 0) -> bool:
        threading.Thread(
            target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True
        ).start()
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    result = CliRunner().invoke(
        app, ["connect", "wahoo", "--athlete", OWNER, "--port", "0", "--timeout", "20"]
    )
    assert result.exit_code == 0, result.output
    token = TokenStore.from_settings().load("wahoo", OWNER)
    assert token and token["refresh_token"] and token["access_token"] not in result.output
    assert {"user_read", "workouts_read", "offline_data"} <= set(token["scope"].split())
    assert 7000 < token["expires_at"] - token["obtained_at"] <= 7200  # Wahoo's two-hour access token
    assert mock.stats["code_exchange"] == 1


def test_sources_lists_wahoo_and_without_credentials_it_contributes_nothing(
    openfit_home, monkeypatch
) -> None:
    monkeypatch.delenv("OPENFIT_WAHOO_CLIENT_ID", raising=False)
    monkeypatch.delenv("OPENFIT_WAHOO_CLIENT_SECRET", raising=False)
    result = CliRunner().invoke(app, ["sources"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "wahoo" in result.output.lower()
    from orchestration.defs import build_definitions

    defs = build_definitions()
    assert not {"wahoo_sync", "wahoo_backfill"} & {job.name for job in defs.resolve_all_job_defs()}
    graph = defs.resolve_asset_graph()
    node = graph.get(next(k for k in graph.get_all_asset_keys() if k.path == ["raw_wahoo", "workout"]))
    assert not node.is_materializable  # dbt's source, an external asset: the graph keeps its shape


def test_definitions_with_wahoo_credentials_have_group_schedule_and_backfill(wahoo_mock) -> None:
    from orchestration.defs import build_definitions

    defs = build_definitions()
    assert {"wahoo_sync", "wahoo_backfill"} <= {job.name for job in defs.resolve_all_job_defs()}
    assert defs.resolve_schedule_def("wahoo_schedule").cron_schedule == "45 3 * * *"
    graph = defs.resolve_asset_graph()
    node = graph.get(next(k for k in graph.get_all_asset_keys() if k.path == ["raw_wahoo", "workout"]))
    assert node.is_materializable and node.group_name == "wahoo"


@pytest.mark.slow
def test_build_lands_wahoo_in_openfit_tables_and_merges_with_a_fit_file(
    wahoo_history: WahooMock, monkeypatch
) -> None:
    from ingestion.files.importer import import_paths
    from orchestration.build import run_build

    mock = wahoo_history
    _connect_via_cli(monkeypatch, mock)
    # the Wahoo copy of the FIT sample run serves that FIT file at its file.url: the sync puts it in the inbox
    extra = next(w for w in mock.completed() if w["starts"].startswith("2024-05-01T06:00:00"))
    mock.attach_fit(extra, samples.activity(n=FIT_SECONDS))

    report = run_build()
    assert report.success, report.failure
    inbox = get_settings().inbox_dir
    assert [p.name for p in inbox.rglob("*.fit")] == [
        f"{extra['id']}-{''.join(c for c in extra['workout_summary']['updated_at'] if c.isdigit())}.fit"
    ]
    # what the inbox sensor does next (the same build may have imported it already: then a no-op)
    import_paths([inbox], get_settings())
    report = run_build()
    assert report.success, report.failure
    completed = {str(w["id"]): w for w in mock.completed()}
    assert len(completed) < len(mock.workouts)  # the planned workout (no summary) is no activity
    with _snapshot() as con:
        first = _counts(con)
        rows = con.execute(
            "select external_id, sport, source_sport, kcal, distance_m, ascent_m, avg_hr, avg_power_w, "
            "avg_speed_mps, avg_cadence, duration_s, moving_s, indoor, device_id, start_time, utc_offset_s "
            "from activity_recordings where source = 'wahoo'"
        ).fetchall()
        assert {r[0] for r in rows} == set(completed)
        for row in rows:
            (external_id, sport, source_sport, kcal, distance, ascent, avg_hr, power, speed, cadence,
             duration_s, moving_s, indoor, device_id, start_time, offset_s) = row  # fmt: skip
            workout = completed[external_id]
            summary = workout["workout_summary"]

            def number(field: str, summary: dict = summary) -> float | None:
                return float(summary[field]) if summary[field] is not None else None

            assert source_sport == str(workout["workout_type_id"])
            assert kcal == pytest.approx(number("calories_accum"))  # kcal as sent
            assert distance == pytest.approx(number("distance_accum"))  # metres
            assert ascent == pytest.approx(number("ascent_accum"))
            assert avg_hr == pytest.approx(number("heart_rate_avg"))
            assert power == pytest.approx(number("power_avg"))  # watts, null off the bike
            assert speed == pytest.approx(number("speed_avg"))  # m/s
            assert cadence == pytest.approx(number("cadence_avg"))
            assert duration_s == pytest.approx(number("duration_total_accum"))  # elapsed s
            assert moving_s == pytest.approx(number("duration_active_accum"))
            assert device_id == f"wahoo:{OWNER}:cloud"
            assert start_time.isoformat().startswith(workout["starts"][:19])
            assert offset_s in (3600, 7200)  # Europe/Berlin at the start instant
            expected_sport = {0: "cycling", 15: "cycling", 12: "cycling", 61: "cycling", 1: "running",
                              5: "running", 4: "running", 25: "swimming", 6: "walking", 9: "hiking",
                              66: "other", 22: "rowing"}[workout["workout_type_id"]]  # fmt: skip
            assert sport == expected_sport
            assert indoor == (workout["workout_type_id"] in (5, 12, 61, 25, 66, 22))

        # the Wahoo workout and its own FIT file are one activity; the file's device leads it with its samples
        merged = con.execute(
            "select source, recording_role, device_id, start_time from activity_recordings where activity_id = "
            "(select activity_id from activity_recordings where recording_id = ?) order by source",
            [f"wahoo:{extra['id']}"],
        ).fetchall()
        assert [(r[0], r[1]) for r in merged] == [("files", "primary"), ("wahoo", "merged")], merged
        assert merged[0][3] == merged[1][3] == samples.START
        samples_of_activity = con.execute(
            "select count(*) from activity_samples where recording_id = (select recording_id from "
            "activity_recordings where activity_id = (select activity_id from activity_recordings where "
            "recording_id = ?) and source = 'files')",
            [f"wahoo:{extra['id']}"],
        ).fetchone()[0]
        assert samples_of_activity == FIT_SECONDS

        # every completed Wahoo workout is one activity in openfit.activities (the FIT copy joined its workout)
        activities = con.execute(
            "select count(*), count(distinct activity_id) from activities where activity_id in "
            "(select activity_id from activity_recordings where source = 'wahoo')"
        ).fetchone()
        assert activities == (len(completed), len(completed))

        device = con.execute(
            "select vendor, device_type, external_id from devices where device_id = ?",
            [f"wahoo:{OWNER}:cloud"],
        ).fetchall()
        assert device == [("wahoo", "other", str(mock.cfg.user_id))]
        assert _duplicates(con) == {}

    requests_before = mock.stats["api_requests"]
    report = run_build()  # re-sync: nothing new upstream, nothing duplicated
    assert report.success, report.failure
    assert mock.stats["api_requests"] > requests_before  # it did ask again (the newest page)
    with _snapshot() as con:
        assert _counts(con) == first
        assert _duplicates(con) == {}
    assert set(KEYS) <= set(first)
