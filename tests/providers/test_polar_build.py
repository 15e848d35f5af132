"""Polar end to end: `openfit connect polar` against the mock (HTTP Basic token request, the user registered
with the app, the long-lived token in the encrypted store), a backfill through the real build (Dagster -> dlt
-> dbt -> publish) landing in the OpenFit tables in OpenFit units (km/h speed samples as m/s, ISO 8601
durations as seconds, the device's wall time as UTC, height cm as m), Polar devices with stable ids, an
exercise's FIT file fetched into the inbox, imported and merged with the exercise into one activity, and a
re-sync that adds nothing. Also: `openfit sources` lists polar, and without credentials Polar contributes
nothing."""

from __future__ import annotations

import sys
import threading
import webbrowser
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

import cli.connect_cmds  # noqa: F401  (registers the commands)
from cli import app
from ingestion.auth.tokens import TokenStore
from openfit.settings import get_settings

from .mock_servers.polar import PolarMock, PolarMockConfig
from .test_provider_build import KEYS, _counts, _duplicates, _snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingestion" / "files"))
import fit_samples as samples  # noqa: E402  (the FIT generators of tests/ingestion/files, fit-tool)

# Imported files belong to OPENFIT_FILES_ATHLETE_ID: set to the Polar connection's athlete, the FIT file and
# the Polar exercise are one athlete's workout.
OWNER = "me"
FIT_SECONDS = 120


@pytest.fixture
def polar_history(monkeypatch: pytest.MonkeyPatch, openfit_home: Path, warehouse_copy):
    """40 days of Polar data (registered 30 days ago), plus a Polar copy of the FIT sample run, connected to a copy of the session's built home (its synthetic cohort): the first build with it is
    an increment."""
    config = PolarMockConfig(
        days=40,
        registered_days_ago=30,
        limits={"overall": (10_000, 100_000)},
        extra_exercises=[(samples.START, FIT_SECONDS, "RUNNING")],
    )
    with PolarMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("OPENFIT_POLAR_DOWNLOAD_FIT_FILES", "true")
        assert get_settings().files_athlete_id == OWNER  # the home's owner (tests/conftest.py FIXTURE_COHORT)
        monkeypatch.setenv("OPENFIT_SECRET_KEY", Fernet.generate_key().decode())
        get_settings.cache_clear()
        yield mock


def _connect_via_cli(monkeypatch: pytest.MonkeyPatch, mock: PolarMock, athlete: str = OWNER) -> None:
    def browser(url: str, new: int = 0) -> bool:
        threading.Thread(
            target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True
        ).start()
        return True

    monkeypatch.setattr(webbrowser, "open", browser)
    result = CliRunner().invoke(
        app, ["connect", "polar", "--athlete", athlete, "--port", "0", "--timeout", "20"]
    )
    assert result.exit_code == 0, result.output
    token = TokenStore.from_settings().load("polar", athlete)
    assert token and token["access_token"] not in result.output
    assert "refresh_token" not in token  # Polar issues none: its access token lives for years
    assert token["expires_at"] - token["obtained_at"] > 9 * 365 * 86400
    assert token["provider_user_id"] == str(mock.cfg.user_id)  # x_user_id: what webhooks name


def test_connect_registers_the_user_and_a_reconnect_is_no_error(polar_mock: PolarMock, monkeypatch) -> None:
    monkeypatch.setenv("OPENFIT_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    _connect_via_cli(monkeypatch, polar_mock)
    assert polar_mock.stats["code_exchange"] == 1 and polar_mock.stats["registered"] == 1
    assert polar_mock.registrations == [f"openfit-{OWNER}-{polar_mock.cfg.user_id}"]
    _connect_via_cli(monkeypatch, polar_mock)  # registered already: Polar answers 409, still connected
    assert polar_mock.stats["register_conflict"] == 1
    assert TokenStore.from_settings().status("polar", OWNER).status == "connected"
    result = CliRunner().invoke(app, ["disconnect", "polar", "--athlete", OWNER])
    assert result.exit_code == 0, result.output
    assert TokenStore.from_settings().load("polar", OWNER) is None  # local tokens gone (no revoke endpoint)


def test_connect_fails_when_the_client_secret_is_wrong(polar_mock: PolarMock, monkeypatch) -> None:
    monkeypatch.setenv("OPENFIT_POLAR_CLIENT_SECRET", "not-the-secret")  # Basic auth refused by the token URL
    monkeypatch.setattr(webbrowser, "open", lambda url, new=0: threading.Thread(
        target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True).start() or True)  # fmt: skip
    result = CliRunner().invoke(app, ["connect", "polar", "--port", "0", "--timeout", "20"])
    assert result.exit_code == 1
    assert "not-the-secret" not in result.output
    assert TokenStore.from_settings().load("polar", OWNER) is None
    assert polar_mock.stats["registered"] == 0


def test_sources_lists_polar_and_without_credentials_it_contributes_nothing(
    openfit_home, monkeypatch
) -> None:
    monkeypatch.delenv("OPENFIT_POLAR_CLIENT_ID", raising=False)
    monkeypatch.delenv("OPENFIT_POLAR_CLIENT_SECRET", raising=False)
    result = CliRunner().invoke(app, ["sources"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "polar" in result.output.lower()
    from orchestration.defs import build_definitions

    defs = build_definitions()
    assert not {"polar_sync", "polar_backfill"} & {job.name for job in defs.resolve_all_job_defs()}
    graph = defs.resolve_asset_graph()
    node = graph.get(next(k for k in graph.get_all_asset_keys() if k.path == ["raw_polar", "exercise"]))
    assert not node.is_materializable


@pytest.mark.slow
def test_build_lands_polar_in_openfit_tables_and_merges_with_a_fit_file(
    polar_history: PolarMock, monkeypatch
) -> None:
    from ingestion.files.importer import import_paths
    from orchestration.build import run_build

    mock = polar_history
    _connect_via_cli(monkeypatch, mock)
    extra = next(e for e in mock.exercises if e["id"] == mock.exercises[-1]["id"])
    mock.attach_fit(extra, samples.activity(n=FIT_SECONDS))
    # the build syncs up to the real today; the mock's history ends at its own `today`
    monkeypatch.setattr("ingestion.sources.polar.source.datetime", _FrozenDatetime.at(mock.cfg.today))

    report = run_build()
    assert report.success, report.failure
    inbox = get_settings().inbox_dir
    assert [p.name for p in inbox.rglob("*.fit")] == [f"{extra['id']}.fit"]
    import_paths([inbox], get_settings())
    report = run_build()
    assert report.success, report.failure
    listed = {e["id"]: e for e in mock.listed_exercises()}
    assert extra["id"] in listed
    with _snapshot() as con:
        first = _counts(con)
        rows = con.execute(
            "select external_id, sport, source_sport, kcal, distance_m, avg_hr, max_hr, avg_speed_mps, "
            "duration_s, device_id, start_time, utc_offset_s, local_date from activity_recordings "
            "where source = 'polar'"
        ).fetchall()
        assert {r[0] for r in rows} == set(listed)
        for external_id, sport, source_sport, kcal, distance, avg_hr, max_hr, speed, duration_s, device_id, \
                start_time, offset_s, local_date in rows:  # fmt: skip
            doc = listed[external_id]
            seconds = sum(int(p[:-1]) * m for p, m in _duration_parts(doc["duration"]))
            assert source_sport == doc["sport"]
            assert sport == {"RUNNING": "running", "CYCLING": "cycling", "WALKING": "walking",
                             "STRENGTH_TRAINING": "strength_training"}[doc["sport"]]  # fmt: skip
            assert kcal == pytest.approx(doc["calories"])
            assert duration_s == pytest.approx(seconds)
            assert avg_hr == doc["heart_rate"]["average"] and max_hr == doc["heart_rate"]["maximum"]
            if "distance" in doc:
                assert distance == pytest.approx(doc["distance"])  # metres
                assert speed == pytest.approx(doc["distance"] / seconds)  # m/s
            assert device_id == "polar:A1B2C3D4"
            assert offset_s == 7200
            local = start_time + timedelta(seconds=offset_s)
            assert local.replace(tzinfo=None).isoformat() == doc["start_time"]  # wall time minus offset = UTC
            assert local_date.isoformat() == doc["start_time"][:10]

        # samples: heart rate as sent, speed km/h -> m/s, route at its second
        routed = next(e for e in listed.values() if e.get("route") and e["id"] != extra["id"])
        got = con.execute(
            "select heart_rate, speed_mps, lat, lon from activity_samples where recording_id = ? order by ts",
            [f"polar:{routed['id']}"],
        ).fetchall()
        hr = [int(v) for v in routed["samples"][0]["data"].split(",")]
        kmh = [float(v) for v in routed["samples"][1]["data"].split(",")]
        assert [r[0] for r in got] == hr
        assert [r[1] for r in got] == pytest.approx([v / 3.6 for v in kmh])
        assert (got[10][2], got[10][3]) == (routed["route"][1]["latitude"], routed["route"][1]["longitude"])

        # the Polar exercise and its own FIT file are one activity
        merged = con.execute(
            "select source, recording_role from activity_recordings where activity_id = "
            "(select activity_id from activity_recordings where recording_id = ?) order by source",
            [f"polar:{extra['id']}"],
        ).fetchall()
        assert sorted(r[0] for r in merged) == ["files", "polar"], merged
        activities = con.execute(
            "select count(distinct activity_id) from activity_recordings where source = 'polar'"
        ).fetchone()[0]
        assert activities == len(listed)

        # sleep: stage totals in s, HRV RMSSD of the Nightly Recharge, hypnogram as stage intervals
        nights = {n["date"]: n for n in mock.listed_nights(mock.nights)}
        recharges = {r["date"]: r for r in mock.listed_nights(mock.recharges)}
        sleeps = con.execute(
            "select local_date, deep_s, light_s, rem_s, awake_s, hrv_rmssd_ms, score, sleep_id, device_id "
            "from sleep_sessions where source = 'polar'"
        ).fetchall()
        assert {s[0].isoformat() for s in sleeps} == set(nights)
        for day, deep, light, rem, awake, hrv, score, _sleep_id, device_id in sleeps:
            night = nights[day.isoformat()]
            assert (deep, light, rem, awake) == (night["deep_sleep"], night["light_sleep"], night["rem_sleep"],
                                                 night["total_interruption_duration"])  # fmt: skip
            assert hrv == recharges[day.isoformat()]["heart_rate_variability_avg"]
            assert score == night["sleep_score"] and device_id == "polar:A1B2C3D4"
        stages = con.execute(
            "select count(*), min(st.start_time) >= min(s.start_time) from sleep_stages st join sleep_sessions s "
            "using (sleep_id) where s.source = 'polar'"
        ).fetchone()
        assert stages[0] > 0 and stages[1]

        # metrics: continuous heart rate (bpm), HRV RMSSD (never SDNN), height cm -> m
        metrics = dict(con.execute(
            "select metric, count(*) from metrics where source = 'polar' group by metric").fetchall())  # fmt: skip
        in_range = mock.in_range(mock.heart_rates, mock.registration_day, mock.cfg.today)
        assert metrics["heart_rate"] == sum(len(d["heart_rate_samples"]) for d in in_range)
        assert metrics["hrv_rmssd"] == len(recharges) and "hrv_sdnn" not in metrics
        height = con.execute(
            "select value from metrics where source = 'polar' and metric = 'height'"
        ).fetchall()
        assert height == [(1.7,)]

        devices = con.execute(
            "select device_id, vendor, model, device_type, external_id from devices where source = 'polar' "
            "order by device_id"
        ).fetchall()
        assert devices == [
            ("polar:A1B2C3D4", "polar", "Polar Vantage V2", "watch", "A1B2C3D4"),
            (f"polar:{OWNER}:account", "polar", "Polar Flow", "other", None),
        ]
        assert _duplicates(con) == {}

    requests_before = mock.stats["api_requests"]
    report = run_build()  # re-sync: nothing new upstream, nothing duplicated
    assert report.success, report.failure
    assert mock.stats["api_requests"] > requests_before
    with _snapshot() as con:
        assert _counts(con) == first
        assert _duplicates(con) == {}
    assert set(KEYS) <= set(first)


def _duration_parts(value: str) -> list[tuple[str, int]]:
    import re

    return [(m, {"H": 3600, "M": 60, "S": 1}[m[-1]]) for m in re.findall(r"\d+[HMS]", value)]


class _FrozenDatetime:
    """`datetime` with `now()` fixed to the end of the mock's history (UTC); everything else the real one."""

    @staticmethod
    def at(day):  # noqa: ANN001, ANN205
        from datetime import UTC, datetime, time

        class Frozen(datetime):
            @classmethod
            def now(cls, tz=None):  # noqa: ANN001, ANN206
                return datetime.combine(day, time(12), tzinfo=UTC)

        return Frozen
