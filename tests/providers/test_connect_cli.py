"""`openfit connect | disconnect | connections` end to end against the mock Strava (in-process CLI runner;
the "browser" is an httpx client that follows the authorisation redirect to our loopback callback)."""

from __future__ import annotations

import re
import threading
import webbrowser

import httpx
from typer.testing import CliRunner

import cli.connect_cmds  # noqa: F401  (registers the commands; cli imports it too)
from cli import app
from ingestion.auth.tokens import TokenStore


def test_connect_then_disconnect_via_cli(strava_mock, openfit_home, monkeypatch) -> None:
    def fake_browser(url: str, new: int = 0) -> bool:
        threading.Thread(
            target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True
        ).start()
        return True

    monkeypatch.setattr(webbrowser, "open", fake_browser)
    runner = CliRunner()
    result = runner.invoke(app, ["connect", "strava", "--athlete", "anna", "--port", "0", "--timeout", "20"])
    assert result.exit_code == 0, result.output
    assert "connected strava for athlete anna" in result.output
    assert strava_mock.base_url in result.output  # the authorisation URL was printed
    token = TokenStore.from_settings().load("strava", "anna")
    assert token is not None and token["access_token"] not in result.output

    listing = runner.invoke(app, ["connections"])
    assert listing.exit_code == 0 and "anna" in listing.output and "connected" in listing.output

    strava_mock.revoke_all()
    TokenStore.from_settings().mark_needs_reauth("strava", "anna", "refresh rejected: invalid_grant")
    listing = runner.invoke(app, ["connections"])
    assert listing.exit_code == 2 and "needs_reauth" in listing.output

    result = runner.invoke(app, ["disconnect", "strava", "--athlete", "anna"])
    assert result.exit_code == 0, result.output
    assert "local tokens deleted" in result.output
    assert TokenStore.from_settings().load("strava", "anna") is None


def test_connect_unconfigured_provider_is_a_clear_error(openfit_home, monkeypatch) -> None:
    monkeypatch.delenv("OPENFIT_OURA_CLIENT_ID", raising=False)
    monkeypatch.delenv("OPENFIT_OURA_CLIENT_SECRET", raising=False)
    result = CliRunner().invoke(app, ["connect", "oura", "--no-browser", "--port", "0"])
    assert result.exit_code == 1
    assert "OPENFIT_OURA_CLIENT_ID" in result.output and "OPENFIT_OURA_CLIENT_SECRET" in result.output
    result = CliRunner().invoke(app, ["connect", "nosuch", "--no-browser", "--port", "0"])
    assert result.exit_code == 1 and "unknown provider" in result.output


def test_connections_lists_dotted_athletes_and_flags_a_wrong_key(
    strava_mock, openfit_home, monkeypatch
) -> None:
    from cryptography.fernet import Fernet

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("OPENFIT_SECRET_KEY", old_key)
    store = TokenStore.from_settings()
    for athlete in ("john.doe", "me@example.com"):
        store.save(
            "strava",
            athlete,
            {"access_token": "AT-secret", "refresh_token": "RT-secret", "expires_at": 4_000_000_000},
        )
    runner = CliRunner()
    listing = runner.invoke(app, ["connections"], terminal_width=200)
    assert listing.exit_code == 0, listing.output
    assert "john.doe" in listing.output and "me@example.com" in listing.output
    assert "not_connected" not in listing.output

    monkeypatch.setenv("OPENFIT_SECRET_KEY", new_key)
    listing = runner.invoke(app, ["connections"], terminal_width=200)
    assert listing.exit_code == 2 and listing.output.count("needs_reauth") == 2
    # the reason, which rich wraps over lines of its column (the width depends on the providers listed)
    cells = " ".join(re.sub(r"[│┃┆|]", " ", listing.output).split())
    assert "restore the old key" in cells
    for secret in (old_key, new_key, "AT-secret", "RT-secret"):
        assert secret not in listing.output
