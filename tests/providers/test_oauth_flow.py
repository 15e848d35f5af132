"""The OAuth2 flow against the mock authorization servers: connect, refresh, concurrency, revocation, secrecy."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ingestion.auth.errors import CallbackError, NeedsReauthError
from ingestion.auth.http import ApiClient
from ingestion.auth.loopback import LoopbackCallback, connect
from ingestion.auth.oauth import TokenManager, start_authorization
from ingestion.auth.tokens import TokenStore, connection_statuses
from ingestion.sources.oura import OuraSettings
from ingestion.sources.strava import StravaSettings

from .conftest import browser_that_approves


def _connect(settings, athlete: str = "me", **overrides) -> dict:
    config = settings.oauth_config()
    opened: list[str] = []
    facts = connect(
        config,
        TokenStore.from_settings(),
        athlete,
        open_browser=False,
        show_url=browser_that_approves(opened),
        timeout=15,
        **overrides,
    )
    assert opened and opened[0].startswith(config.authorize_url)
    return facts


@pytest.mark.parametrize("use_pkce", [False, True])
def test_strava_connect_flow_stores_encrypted_tokens(
    strava_mock, openfit_home: Path, monkeypatch, use_pkce: bool
) -> None:
    monkeypatch.setenv("OPENFIT_STRAVA_USE_PKCE", str(use_pkce).lower())
    facts = _connect(StravaSettings())
    assert facts["provider_user_id"] == str(strava_mock.cfg.athlete)
    assert facts["scope"] == "read,activity:read_all,profile:read_all"
    assert strava_mock.stats["code_exchange"] == 1
    token = TokenStore.from_settings().load("strava", "me")
    assert token and token["access_token"] and token["refresh_token"]
    assert "athlete" not in token  # the profile in Strava's token response is not kept
    assert all(
        token["access_token"].encode() not in p.read_bytes() for p in openfit_home.rglob("*") if p.is_file()
    )
    url = strava_mock.requests_log  # no API calls yet
    assert url == []
    if use_pkce:
        authorize_url = start_authorization(
            StravaSettings().oauth_config(), "http://127.0.0.1:1/callback"
        ).url
        assert "code_challenge=" in authorize_url and "code_challenge_method=S256" in authorize_url


def test_oura_connect_flow_and_api_call(oura_mock, openfit_home: Path) -> None:
    settings = OuraSettings()
    facts = _connect(settings, athlete="anna")
    assert facts["scope"] == "personal daily heartrate workout session spo2"
    tokens = TokenManager(settings.oauth_config(), TokenStore.from_settings(), "anna")
    with ApiClient(settings.api_base_url, tokens) as client:
        info = client.get_json("/usercollection/personal_info")
    assert info["biological_sex"] == "female"


def test_callback_with_wrong_state_is_rejected(strava_mock) -> None:
    import httpx

    with LoopbackCallback() as callback:
        httpx.get(f"{callback.redirect_uri}?code=abc&state=forged", timeout=5)
        with pytest.raises(CallbackError, match="state does not match"):
            callback.wait("expected-state", timeout=5)


def test_expired_token_is_refreshed_ahead_of_expiry_and_after_401(strava_mock, openfit_home) -> None:
    settings = StravaSettings()
    _connect(settings)
    store = TokenStore.from_settings()
    first = store.load("strava", "me")

    # 1) ahead of expiry: a token inside the refresh margin is refreshed before use
    store.save("strava", "me", {**first, "expires_at": time.time() + 60})
    manager = TokenManager(settings.oauth_config(), store, "me")
    with ApiClient(settings.api_base_url, manager) as client:
        assert client.get_json("/athlete")["id"] == strava_mock.cfg.athlete
    second = store.load("strava", "me")
    assert manager.refresh_count == 1 and second["refresh_token"] != first["refresh_token"]

    # 2) the server expires the token early: 401 -> refresh under the lock -> retry succeeds
    strava_mock.expire_access_tokens()
    with ApiClient(settings.api_base_url, manager) as client:
        assert client.get_json("/athlete")["id"] == strava_mock.cfg.athlete
        assert client.stats["http_401"] == 1
    assert manager.refresh_count == 2
    assert strava_mock.stats["refresh"] == 2 and strava_mock.stats["invalid_grant"] == 0


REFRESHER = textwrap.dedent(
    """
    import pathlib, sys, time
    from ingestion.auth.oauth import TokenManager
    from ingestion.auth.tokens import TokenStore
    from ingestion.sources.strava import StravaSettings
    barrier = pathlib.Path(sys.argv[1])
    manager = TokenManager(StravaSettings().oauth_config(), TokenStore.from_settings(), "me")
    (barrier / f"ready-{sys.argv[2]}").touch()
    while not (barrier / "go").exists():  # start all four at the same instant
        time.sleep(0.001)
    token = manager.access_token()
    print("OK", manager.refresh_count, len(token))
    """
)


def test_four_concurrent_refreshers_in_separate_processes_all_succeed(strava_mock, openfit_home) -> None:
    settings = StravaSettings()
    _connect(settings)
    store = TokenStore.from_settings()
    token = store.load("strava", "me")
    store.save(
        "strava", "me", {**token, "expires_at": time.time() - 10}
    )  # expired: every process must refresh

    barrier = openfit_home.parent / "barrier"
    barrier.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", REFRESHER, str(barrier), str(i)],
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    deadline = time.time() + 120
    while (
        len(list(barrier.glob("ready-*"))) < 4
        and time.time() < deadline
        and all(p.poll() is None for p in procs)
    ):
        time.sleep(0.01)
    (barrier / "go").touch()
    results = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [r[1][-800:] for r in results]
    refreshes = [int(out.split()[1]) for out, _ in results]
    assert sum(refreshes) == 1  # exactly one process refreshed; the others re-read its token
    assert strava_mock.stats["refresh"] == 1 and strava_mock.stats["invalid_grant"] == 0
    assert store.status("strava", "me").status == "connected"


def test_revoked_grant_surfaces_as_needs_reauth(strava_mock, openfit_home) -> None:
    settings = StravaSettings()
    _connect(settings)
    store = TokenStore.from_settings()
    strava_mock.revoke_all()  # the user revoked OpenFit in Strava's settings
    manager = TokenManager(settings.oauth_config(), store, "me")
    with (
        ApiClient(settings.api_base_url, manager) as client,
        pytest.raises(NeedsReauthError, match="re-authorisation"),
    ):
        client.get_json("/athlete")
    statuses = {(s.provider, s.athlete): s for s in connection_statuses()}
    assert statuses[("strava", "me")].status == "needs_reauth"
    assert statuses[("oura", None)].status == "unconfigured"
    # later runs fail fast without calling the provider again
    before = strava_mock.stats["invalid_grant"]
    with pytest.raises(NeedsReauthError):
        manager.access_token()
    assert strava_mock.stats["invalid_grant"] == before
    # reconnecting clears the flag
    _connect(settings)
    assert store.status("strava", "me").status == "connected"


def test_disconnect_revokes_at_provider_and_deletes_tokens(oura_mock, openfit_home, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    settings = OuraSettings()
    _connect(settings)
    store = TokenStore.from_settings()
    access_token = store.load("oura", "me")["access_token"]
    assert TokenManager(settings.oauth_config(), store, "me").revoke() is True
    # Oura's revoke takes the token in the query string, which httpx logs: the filter masks it
    assert "/oauth/revoke?access_token=***" in caplog.text
    assert access_token not in caplog.text
    assert oura_mock.stats["revoked"] == 1
    assert store.load("oura", "me") is None
    assert store.status("oura", "me").status == "not_connected"


def test_tokens_never_reach_logs_or_error_texts(strava_mock, openfit_home, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    settings = StravaSettings()
    _connect(settings)
    store = TokenStore.from_settings()
    token = store.load("strava", "me")
    manager = TokenManager(settings.oauth_config(), store, "me")
    strava_mock.expire_access_tokens()
    errors: list[str] = []
    with ApiClient(settings.api_base_url, manager, backoff_base_s=0.01) as client:
        client.get_json("/athlete")  # 401 -> refresh
        strava_mock.fail_next(503, 503)
        client.get_json("/athlete")  # retried
        try:
            client.get_json("/no/such/endpoint")
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{exc!r} {exc}")
        strava_mock.revoke_all()
        strava_mock.expire_access_tokens()
        try:
            client.get_json("/athlete")
        except NeedsReauthError as exc:
            errors.append(f"{exc!r} {exc}")
    manager.revoke()  # Strava's deauthorize takes the token in the form body
    secrets = [token["access_token"], token["refresh_token"], settings.client_secret.get_secret_value()]
    latest = store.load("strava", "me")
    assert latest is None
    text = caplog.text + "\n".join(errors) + repr(settings.oauth_config())
    assert len(errors) == 2 and caplog.records
    for secret in secrets:
        assert secret not in text
