"""Webhooks name the provider's user: Oura's id is looked up (`/usercollection/personal_info`) when the athlete
connects, and a sync limited to the notified collections loads those collections only and ends."""

from __future__ import annotations

from datetime import timedelta

import duckdb
from providers.conftest import browser_that_approves, openfit_home, oura_mock  # noqa: F401 (fixtures)

from ingestion.auth.loopback import connect
from ingestion.auth.tokens import TokenStore
from ingestion.pipelines import provider_pipeline
from ingestion.sources.oura import OuraSettings, make_client, sync_oura
from openfit.settings import get_settings


def test_oura_connect_records_the_personal_info_id(oura_mock, openfit_home) -> None:  # noqa: F811
    opened: list[str] = []
    facts = connect(
        OuraSettings().oauth_config(),
        TokenStore.from_settings(),
        "anna",
        open_browser=False,
        show_url=browser_that_approves(opened),
        timeout=15,
    )
    personal_info = [p for _m, p, _q in oura_mock.requests_log if p == "/personal_info"]
    assert personal_info, "the connect flow asked for the account id"
    store = TokenStore.from_settings()
    user_id = store.provider_user_id("oura", "anna")
    assert user_id and facts["provider_user_id"] == user_id
    assert store.athlete_for("oura", user_id) == "anna"
    assert store.load("oura", "anna")["provider_user_id"] == user_id


def _rows(table: str) -> int:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(f"select count(*) from raw_oura.{table}").fetchone()[0]


def test_collections_sync_loads_only_those_and_ends(oura_mock, openfit_home, monkeypatch) -> None:  # noqa: F811
    token = oura_mock.issue_tokens(scope="personal daily heartrate workout session spo2")
    TokenStore.from_settings().save("oura", "me", {k: token[k] for k in ("access_token", "refresh_token")})
    monkeypatch.setenv(
        "OPENFIT_OURA_BACKFILL_SINCE", (oura_mock.cfg.first_day - timedelta(days=3)).isoformat()
    )
    monkeypatch.setenv("OPENFIT_OURA_WINDOW_DAYS", "10")
    monkeypatch.setenv("OPENFIT_OURA_WINDOWS_PER_RUN", "1")
    settings = OuraSettings()
    client = make_client(settings, "me")
    pipeline = provider_pipeline("oura")
    try:
        # a backfill cut short: every collection has more to load
        first = sync_oura(pipeline, "me", settings, client=client, today=oura_mock.last_day, max_runs=1)
        assert first["runs"] == 1
        activity_before = _rows("daily_activity")
        # a notification about sleep: only sleep is caught up, and the loop ends although others wait
        summary = sync_oura(
            pipeline,
            "me",
            settings,
            client=client,
            today=oura_mock.last_day,
            max_runs=50,
            collections=("sleep",),
        )
    finally:
        client.close()
    assert summary["runs"] < 50
    assert _rows("sleep") == len(oura_mock.docs["sleep"])
    assert _rows("daily_activity") == activity_before < len(oura_mock.docs["daily_activity"])
    # the sync recorded the account id the webhooks name
    assert TokenStore.from_settings().provider_user_id("oura", "me")
