"""The published OpenFit spec (SCHEMA.md, schema/openfit/*.schema.json) is generated from the dbt YAML and
committed; these tests keep the two from drifting and the generator honest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from openfit import schema_spec
from openfit.schema_spec import DBT_PROJECT_DIR, REPO_ROOT, SpecError

REQUIRED_TABLES = {
    "athletes",
    "file_imports",
    "athlete_thresholds",
    "devices",
    "activity_recordings",
    "activities",
    "activity_samples",
    "laps",
    "sleep_sessions",
    "sleep_stages",
    "wellness_daily",
    "wellness_daily_by_source",
    "metrics",
    "spec_info",
}


def test_committed_spec_files_are_up_to_date():
    stale = schema_spec.stale_files()
    assert not stale, (
        f"regenerate with `uv run python -m openfit.schema_spec`; stale: {[str(p) for p in stale]}"
    )


def test_spec_covers_every_openfit_model_and_every_column_is_typed_and_described():
    spec = schema_spec.load_spec()
    assert {t.name for t in spec.tables} == REQUIRED_TABLES
    sql_models = {p.stem for p in (DBT_PROJECT_DIR / "models" / "openfit").glob("*.sql")}
    assert sql_models == REQUIRED_TABLES, "every openfit model must be declared in _openfit__models.yml"
    for table in spec.tables:
        # spec_info is one row; file_imports is a log (one file name can come twice in one run, from two folders)
        unkeyed = table.name in ("spec_info", "file_imports")
        assert table.primary_key or unkeyed, f"{table.name} has no primary key test"
        for column in table.columns:
            assert column.data_type in schema_spec.JSON_TYPES and column.description


def test_spec_version_is_the_dbt_var():
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    version = project["vars"]["openfit_spec_version"]
    assert (REPO_ROOT / "SCHEMA.md").read_text().startswith(f"# OpenFit schema {version}\n")
    for path in (REPO_ROOT / "schema" / "openfit").glob("*.schema.json"):
        assert json.loads(path.read_text())["x-openfit-version"] == version


@pytest.mark.parametrize("table", sorted(REQUIRED_TABLES))
def test_json_schemas_are_valid_draft_2020_12(table):
    schema = json.loads((REPO_ROOT / "schema" / "openfit" / f"{table}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["required"]) == set(schema["properties"])
    assert set(schema["x-primary-key"]) <= set(schema["properties"])


def test_schema_carries_units_ranges_enums_and_references():
    samples = json.loads((REPO_ROOT / "schema" / "openfit" / "activity_samples.schema.json").read_text())
    heart_rate = samples["properties"]["heart_rate"]
    assert heart_rate["x-unit"] == "bpm" and (heart_rate["minimum"], heart_rate["maximum"]) == (25, 250)
    assert heart_rate["type"] == ["integer", "null"]
    assert samples["properties"]["ts"] == {
        "type": "string",
        "format": "date-time",
        "description": "Sample instant (UTC).",
        "x-sql-type": "timestamp with time zone",
    }
    assert samples["properties"]["activity_id"]["x-references"] == "activities.activity_id"
    stages = json.loads((REPO_ROOT / "schema" / "openfit" / "sleep_stages.schema.json").read_text())
    assert stages["properties"]["stage"]["enum"] == ["deep", "light", "rem", "awake"]
    validator = jsonschema.Draft202012Validator(stages)
    row = {
        "sleep_id": "synthetic:1",
        "stage": "rem",
        "start_time": "2026-01-01T01:00:00+00:00",
        "end_time": "2026-01-01T01:30:00+00:00",
        "duration_s": 1800.0,
    }
    assert not list(validator.iter_errors(row))
    assert list(validator.iter_errors({**row, "stage": "dozing"}))
    assert list(validator.iter_errors({**row, "extra": 1}))


def test_metric_ranges_and_units_come_from_the_metric_types_seed():
    schema = json.loads((REPO_ROOT / "schema" / "openfit" / "metrics.schema.json").read_text())
    assert schema["properties"]["metric"]["enum"] == [
        "heart_rate",
        "spo2",
        "stress",
        "weight",
        "body_fat",
        "vo2_max",
        "stress_high_duration",
        "recovery_high_duration",
        "hrv_rmssd",
        "rr_interval",
        "hrv_sdnn",
        "resting_heart_rate",
        "skin_temperature",
        "height",
        "whoop_recovery_score",
        "whoop_strain",
    ]
    validator = jsonschema.Draft202012Validator(schema)
    row = {
        "athlete_id": "a1",
        "metric": "heart_rate",
        "ts": "2026-01-01T03:00:00+00:00",
        "value": 52.0,
        "unit": "bpm",
        "source": "synthetic",
        "device_id": "synthetic:w1",
    }
    assert not list(validator.iter_errors(row))
    assert list(validator.iter_errors({**row, "value": 300.0}))  # out of the heart-rate range
    assert list(validator.iter_errors({**row, "unit": "%"}))  # not the heart-rate unit
    assert not list(validator.iter_errors({**row, "metric": "weight", "value": 70.0, "unit": "kg"}))
    assert "| heart_rate | bpm | 25 | 250 |" in (REPO_ROOT / "SCHEMA.md").read_text()


def test_markdown_documents_units_constraints_and_day_rules():
    text = (REPO_ROOT / "SCHEMA.md").read_text()
    assert "| `power_w` | smallint | W | Power. | 0 to 2500 |" in text
    assert "Primary key: `activity_id`, `ts`." in text
    assert "local date on which it ends" in text


@pytest.fixture
def project_copy(tmp_path) -> Path:
    project = tmp_path / "transform"
    shutil.copytree(DBT_PROJECT_DIR / "models" / "openfit", project / "models" / "openfit")
    shutil.copy(DBT_PROJECT_DIR / "dbt_project.yml", project / "dbt_project.yml")
    shutil.copytree(DBT_PROJECT_DIR / "seeds", project / "seeds")
    return project


def _edit_models(project: Path, edit) -> None:
    path = project / schema_spec.MODELS_YML
    models = yaml.safe_load(path.read_text())
    edit(models["models"])
    path.write_text(yaml.safe_dump(models, sort_keys=False))


def test_generator_rejects_an_untyped_column(project_copy):
    _edit_models(project_copy, lambda models: models[0]["columns"][0].pop("data_type"))
    with pytest.raises(SpecError, match=r"athletes\.athlete_id: data_type"):
        schema_spec.load_spec(project_copy)


def test_generator_rejects_a_test_it_cannot_publish(project_copy):
    _edit_models(project_copy, lambda models: models[0]["columns"][1].update(data_tests=["mystery_test"]))
    with pytest.raises(SpecError, match="mystery_test"):
        schema_spec.load_spec(project_copy)


def test_generator_reads_ranges_from_check_constraints_and_rejects_other_column_checks(project_copy):
    spec = schema_spec.load_spec(project_copy)
    samples = next(t for t in spec.tables if t.name == "activity_samples")
    heart_rate = next(c for c in samples.columns if c.name == "heart_rate")
    assert (heart_rate.minimum, heart_rate.maximum, heart_rate.unit) == (25, 250, "bpm")
    assert next(c for c in samples.columns if c.name == "ts").not_null

    def add_odd_check(models):
        weight = next(c for c in models[0]["columns"] if c["name"] == "weight_kg")
        weight["constraints"] = [{"type": "check", "expression": "weight_kg * 2 < 600"}]

    _edit_models(project_copy, add_odd_check)
    with pytest.raises(SpecError, match=r"athletes\.weight_kg: column check .* is not a range"):
        schema_spec.load_spec(project_copy)


def test_a_yaml_change_makes_the_committed_files_stale(project_copy, tmp_path):
    repo = tmp_path / "repo"
    schema_spec.write(repo, project_copy)
    assert schema_spec.stale_files(repo, project_copy) == []
    _edit_models(project_copy, lambda models: models[0]["columns"][1].update(description="Renamed."))
    (repo / "schema" / "openfit" / "dropped_table.schema.json").write_text("{}")
    stale = schema_spec.stale_files(repo, project_copy)
    assert Path("SCHEMA.md") in stale and Path("schema/openfit/athletes.schema.json") in stale
    assert Path("schema/openfit/dropped_table.schema.json") in stale
    schema_spec.write(repo, project_copy)
    assert schema_spec.stale_files(repo, project_copy) == []
    assert not (repo / "schema" / "openfit" / "dropped_table.schema.json").exists()
