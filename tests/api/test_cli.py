"""`openfit apikey create|list|revoke`: the key is printed once, only its hash is stored, revocation bites."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import cli.api_cmds  # noqa: F401  (registers the commands on the app)
from api.keys import KeyStore
from cli import app

runner = CliRunner()


def test_create_list_revoke(settings, tmp_path, monkeypatch):
    home = tmp_path / "cli_home"
    home.mkdir()
    (home / "serving").mkdir()
    (home / "serving" / "snapshot.duckdb").symlink_to(settings.snapshot_path)
    monkeypatch.setenv("OPENFIT_HOME", str(home))
    from openfit.settings import get_settings

    get_settings.cache_clear()

    created = runner.invoke(app, ["apikey", "create", "--athlete", "ath_2", "--name", "phone"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("of_")
    stored = (home / "api_keys.json").read_text()
    assert key not in stored and json.loads(stored)["keys"][0]["athlete_ids"] == ["ath_2"]
    record = KeyStore.for_home(home).verify(key)
    assert record is not None and record.scope.athlete_ids == ("ath_2",)

    listed = runner.invoke(app, ["apikey", "list"])
    assert listed.exit_code == 0 and record.key_id in listed.stdout and key not in listed.stdout

    assert runner.invoke(app, ["apikey", "revoke", record.key_id]).exit_code == 0
    assert KeyStore.for_home(home).verify(key) is None
    assert runner.invoke(app, ["apikey", "revoke", "nope"]).exit_code == 1


def test_create_refuses_bad_arguments(settings):
    assert runner.invoke(app, ["apikey", "create"]).exit_code == 2
    assert runner.invoke(app, ["apikey", "create", "--athlete", "ath_1", "--all-athletes"]).exit_code == 2
    unknown = runner.invoke(app, ["apikey", "create", "--athlete", "nobody"])
    assert unknown.exit_code == 2 and "nobody" in unknown.output
