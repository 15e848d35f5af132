"""The daily wellness metrics are declared once (dbt_project.yml vars.daily_metrics): the settings read that
list, and the published openfit.wellness_daily has exactly a value and a `<metric>_source` column for each."""

from __future__ import annotations

import yaml

from openfit.settings import DAILY_METRICS, DBT_PROJECT_DIR


def _wellness_daily_columns() -> list[str]:
    spec = yaml.safe_load((DBT_PROJECT_DIR / "models" / "openfit" / "_openfit__models.yml").read_text())
    (model,) = [m for m in spec["models"] if m["name"] == "wellness_daily"]
    return [c["name"] for c in model["columns"]]


def test_settings_read_the_declared_list() -> None:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    assert tuple(project["vars"]["daily_metrics"]) == DAILY_METRICS
    assert len(set(DAILY_METRICS)) == len(DAILY_METRICS)


def test_wellness_daily_has_a_value_and_a_source_column_per_metric_and_no_other() -> None:
    columns = _wellness_daily_columns()
    sources = [c.removesuffix("_source") for c in columns if c.endswith("_source")]
    assert sources == list(DAILY_METRICS)
    values = [c for c in columns if c in DAILY_METRICS]
    assert values == list(DAILY_METRICS)  # in spec column order
