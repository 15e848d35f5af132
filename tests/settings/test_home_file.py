"""The home's settings file: precedence (flag > env > home file > default) with origins, `openfit config`, and a
malformed file stopping every command before anything is built. No builds here (see test_home_builds.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from openfit.settings import (
    HOME_FILE_NAME,
    Settings,
    get_settings,
    read_home_file,
    record_in_home_file,
    set_command_line,
    setting_origins,
    write_home_file,
)

runner = CliRunner()


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty home, with no OPENFIT_* variable but OPENFIT_HOME in the environment."""
    import os

    for name in list(os.environ):
        if name.startswith("OPENFIT_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("OPENFIT_HOME", str(home))
    monkeypatch.chdir(tmp_path)  # no stray .env from the repository
    get_settings.cache_clear()
    return home


def _origin_lines(output: str) -> dict[str, tuple[str, str]]:
    """setting -> (value, origin) from `openfit config show`'s table."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if len(cells) == 3 and cells[0] in Settings.model_fields:
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def test_each_layer_beats_the_ones_below_it_and_config_show_names_the_origin(home, monkeypatch):
    (home / HOME_FILE_NAME).write_text("synthetic_seed = 1\nsynthetic_days = 30\nsynthetic_athletes = 2\n")
    monkeypatch.setenv("OPENFIT_SYNTHETIC_SEED", "2")
    monkeypatch.setenv("OPENFIT_SYNTHETIC_DAYS", "40")

    result = runner.invoke(app, ["config", "show"], terminal_width=200)
    assert result.exit_code == 0, result.output
    rows = _origin_lines(result.output)
    assert rows["synthetic_seed"] == ("2", "env")  # env beats the home file
    assert rows["synthetic_days"] == ("40", "env")
    assert rows["synthetic_athletes"] == ("2", "home file")  # the home file beats the default
    assert rows["algo_pmc"] == ("goldencheetah", "default")
    assert rows["home"][1] == "env"
    assert set(rows) == set(Settings.model_fields)  # every setting is listed

    set_command_line(synthetic_seed=3)  # what `openfit build --seed 3` does: the flag beats the environment
    settings = get_settings()
    assert (settings.synthetic_seed, settings.synthetic_days, settings.synthetic_athletes) == (3, 40, 2)
    origins = setting_origins(settings)
    assert (origins["synthetic_seed"], origins["synthetic_days"], origins["synthetic_athletes"]) == (
        "flag",
        "env",
        "home file",
    )


def test_config_set_writes_the_home_file_and_later_runs_read_it(home):
    result = runner.invoke(app, ["config", "set", "algo.pmc", "trainingpeaks"])
    assert result.exit_code == 0, result.output
    # says what it will recompute: the PMC models and what reads them, not the warehouse
    said = " ".join(result.output.split())
    assert (
        "daily_training_load_computed" in said
        and "daily_training_load" in said
        and "everything else stays" in said
    )
    assert "activity_samples" not in said and "every dbt table" not in said
    assert runner.invoke(app, ["config", "set", "synthetic_end_date", "2026-06-30"]).exit_code == 0
    overrides = '[{"athlete_id": "*", "metric": "resting_hr", "source": "watch"}]'
    assert runner.invoke(app, ["config", "set", "daily_source_overrides", overrides]).exit_code == 0

    get_settings.cache_clear()
    settings = get_settings()
    assert settings.algo_pmc == "trainingpeaks"
    assert settings.synthetic_end_date == date(2026, 6, 30)
    assert [o.source for o in settings.daily_source_overrides] == ["watch"]
    assert setting_origins(settings)["algo_pmc"] == "home file"


def test_config_set_refuses_a_bad_value_and_keeps_the_file(home):
    (home / HOME_FILE_NAME).write_text("synthetic_athletes = 2\n")
    before = (home / HOME_FILE_NAME).read_text()
    for key, value in [
        ("synthetic_athletes", "0"),
        ("synthetic_seed", "five"),
        ("no_such_setting", "1"),
        ("home", "/elsewhere"),
    ]:
        result = runner.invoke(app, ["config", "set", key, value])
        assert result.exit_code == 2, (key, result.output)
    assert (home / HOME_FILE_NAME).read_text() == before


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("synthetic_seed = 5\nsynthetic_athletes = \n", 2, "not valid TOML"),
        ("synthetic_seed = 5\n\nsynthetic_athletes = 0\n", 3, "greater than or equal to 1"),
        ("synthetic_seed = 5\nsynthetic_atheltes = 4\n", 2, "unknown setting 'synthetic_atheltes'"),
        ("home = '/elsewhere'\n", 1, "unknown setting 'home'"),
    ],
)
def test_a_malformed_home_file_names_its_line_and_nothing_is_built(home, text, line, words):
    (home / HOME_FILE_NAME).write_text(text)
    result = runner.invoke(app, ["build", "--athletes", "1", "--days", "7"])
    assert result.exit_code == 2
    assert f"line {line}" in result.output and words in result.output, result.output
    assert not (home / "warehouse.duckdb").exists()
    assert not (home / "serving").exists()
    # `openfit config show` explains the same error (and does not start either).
    shown = runner.invoke(app, ["config", "show"])
    assert shown.exit_code == 2 and f"line {line}" in shown.output


def test_a_build_records_what_flags_and_environment_gave_it_and_nothing_else(home, monkeypatch):
    (home / HOME_FILE_NAME).write_text("synthetic_seed = 5\nsynthetic_days = 20\n")
    monkeypatch.setenv("OPENFIT_ALGO_PMC", "trainingpeaks")  # data-shaping: recorded
    monkeypatch.setenv("OPENFIT_API_PORT", "9000")  # not data-shaping: stays in the environment
    set_command_line(synthetic_athletes=2, synthetic_days=20)  # equal to the file's: nothing to record
    changed = record_in_home_file(get_settings())
    assert changed == {"algo_pmc": "trainingpeaks", "synthetic_athletes": 2}
    assert read_home_file(home) == {
        "algo_pmc": "trainingpeaks",
        "synthetic_athletes": 2,
        "synthetic_days": 20,
        "synthetic_seed": 5,
    }
    assert record_in_home_file(get_settings()) == {}  # idempotent


def test_written_values_read_back_equal(home):
    values = {
        "algo_pmc": 'odd "quoted" \\ value é',
        "synthetic_end_date": date(2026, 6, 30),
        "synthetic_enabled": False,
        "daily_source_overrides": [{"athlete_id": "synthetic:a1", "metric": "sleep_s", "source": "ring"}],
        "marts_as_of_date": None,  # None = not written (the default)
    }
    write_home_file(home, values)
    assert read_home_file(home) == {key: value for key, value in values.items() if value is not None}


def test_health_and_the_data_health_page_name_the_settings_the_snapshot_was_built_with(fixture_warehouse):
    import duckdb
    from fastapi.testclient import TestClient

    from api.app import create_app
    from query import reads
    from query.snapshot import SnapshotReader

    with duckdb.connect(str(fixture_warehouse.snapshot_path), read_only=True) as con:
        published = con.execute("select settings_hash from meta.build_info").fetchone()[0]
    assert published
    with TestClient(create_app(fixture_warehouse, rate_limit_per_minute=None)) as client:
        assert client.get("/health").json()["settings_hash"] == published
    with SnapshotReader(fixture_warehouse.snapshot_path).cursor() as cur:  # what the Data health page shows
        settings = reads.build_settings(cur)
    assert settings["algo_pmc"] == fixture_warehouse.algo_pmc


def test_a_disabled_provider_gets_no_assets_jobs_or_sensors(home):
    from orchestration.defs import build_definitions

    assert runner.invoke(app, ["config", "set", "disabled_providers", '["files"]']).exit_code == 0
    get_settings.cache_clear()
    assert get_settings().disabled_providers == ["files"]
    definitions = build_definitions()
    extracts = {asset.node_def.name for asset in definitions.assets if asset.node_def.name.startswith("raw_")}
    assert "raw_files" not in extracts and "raw_synthetic" in extracts
    assert not list(definitions.sensors or [])  # the inbox sensor belongs to the files provider
    assert "import_inbox" not in {job.name for job in definitions.jobs}
