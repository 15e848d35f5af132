"""Every table readers get (schemas openfit and marts of the snapshot) and every one of its columns is described
in the dbt YAML, and every numeric column says its unit: the data docs and the spec show nothing else.

The Python models under models/marts/compute/ are left out: they live in schema `marts_compute`, which is not
published; each of them is read by a described SQL model of the marts schema.
"""

from __future__ import annotations

import json
import re

import pytest

from orchestration.dbt import ensure_manifest
from query.snapshot import attach_snapshot

PUBLISHED_SCHEMAS = ("openfit", "marts")
NUMERIC_TYPES = re.compile(r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|FLOAT|DOUBLE|DECIMAL.*)$")
# A numeric column without meta.unit must say in words what it counts or where its unit is.
UNIT_IN_WORDS = re.compile(
    r"\(count\b|\bcount;|\(bytes\)|no unit|in `unit`|in the unit of|\byear\b", re.IGNORECASE
)


@pytest.fixture(scope="module")
def published_models() -> dict[str, dict]:
    manifest = json.loads(ensure_manifest().read_text())
    return {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] in PUBLISHED_SCHEMAS
    }


def test_every_published_model_and_declared_column_has_a_description(published_models):
    assert {"activities", "daily_training_load", "file_imports"} <= set(published_models)
    undescribed = [name for name, node in published_models.items() if not node["description"].strip()]
    undescribed += [
        f"{name}.{column}"
        for name, node in published_models.items()
        for column, spec in node["columns"].items()
        if not (spec.get("description") or "").strip()
    ]
    assert undescribed == []


def _snapshot_columns(settings) -> dict[tuple[str, str], str]:
    """(table, column) -> type of every column readers can open."""
    with attach_snapshot(settings.snapshot_path) as con:
        rows = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = 'snap' and table_schema in ('openfit', 'marts')"
        ).fetchall()
    return {(table, column): data_type for table, column, data_type in rows}


def test_every_column_in_the_snapshot_is_declared_and_numeric_ones_have_a_unit(
    fixture_warehouse, published_models
):
    columns = _snapshot_columns(fixture_warehouse)
    assert len(columns) > 200
    undeclared, without_unit = [], []
    for (table, column), data_type in sorted(columns.items()):
        spec = published_models.get(table, {}).get("columns", {}).get(column)
        if spec is None or not (spec.get("description") or "").strip():
            undeclared.append(f"{table}.{column}")
            continue
        has_unit = "unit" in (spec.get("meta") or {}) or UNIT_IN_WORDS.search(spec["description"])
        if NUMERIC_TYPES.match(data_type) and not has_unit:
            without_unit.append(f"{table}.{column} ({data_type})")
    assert undeclared == [], "columns readers see without a description in the dbt YAML"
    assert without_unit == [], "numeric columns without meta.unit and without a unit in their description"
