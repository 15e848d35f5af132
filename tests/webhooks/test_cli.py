"""`openfit webhooks` shows the callback URLs from webhook_public_url and the recent deliveries; `openfit
serve` starts the receiver on webhook_port."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cli import app
from cli.core_cmds import serve_commands
from ingestion.webhooks.app import create_app
from openfit.settings import get_settings

from .conftest import OURA_USER, connect, oura_event, oura_request


def test_webhooks_command_shows_urls_and_deliveries(home, monkeypatch) -> None:
    monkeypatch.setenv("OPENFIT_WEBHOOK_PUBLIC_URL", "https://fit.example.org/")
    connect("oura", "ann", OURA_USER)
    runner = CliRunner()
    empty = runner.invoke(app, ["webhooks"], env={"COLUMNS": "200"})
    assert empty.exit_code == 0, empty.output
    assert "https://fit.example.org/webhooks/oura  (configured)" in empty.output
    assert "https://fit.example.org/webhooks/strava  (configured)" in empty.output
    assert "No deliveries received yet." in empty.output

    with TestClient(create_app()) as client:
        body, headers = oura_request(oura_event("workout"))
        assert client.post("/webhooks/oura", content=body, headers=headers).status_code == 200
    shown = runner.invoke(app, ["webhooks"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "pending 1" in shown.output
    row = next(line for line in shown.output.splitlines() if "workout" in line)
    assert "oura" in row and "ann" in row and "pending" in row


def test_serve_starts_the_receiver_on_its_port(home, monkeypatch) -> None:
    monkeypatch.setenv("OPENFIT_WEBHOOK_PORT", "9911")
    get_settings.cache_clear()
    command = serve_commands(get_settings())["webhooks"]
    assert "ingestion.webhooks.app:create_app" in command and command[command.index("--port") + 1] == "9911"
