"""The read layer's response models (query/models.py, also the API's and the MCP tools' schemas) follow the dbt
contracts of the published tables: one column list, checked here, with the contract's descriptions and units."""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from query import models
from query.models import TableRow, contract_columns

# The contract's data types -> the Python type a field of that column carries.
PYTHON_TYPES = {
    "varchar": str,
    "smallint": int,
    "integer": int,
    "bigint": int,
    "double": float,
    "boolean": bool,
    "date": date,
    "timestamp with time zone": datetime,
}

ROW_MODELS = sorted(
    (
        cls
        for cls in vars(models).values()
        if isinstance(cls, type) and issubclass(cls, TableRow) and cls is not TableRow
    ),
    key=lambda cls: cls.__name__,
)


def _python_type(annotation: object) -> tuple[type, bool]:
    """(the non-null type, whether None is allowed) of a field annotation like `float | None`."""
    args = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    kinds = [a for a in args if a is not type(None)]
    assert len(kinds) == 1, f"one type per column field, got {annotation}"
    return kinds[0], len(kinds) < len(args)


def test_every_table_row_model_is_checked() -> None:
    names = {cls.__name__ for cls in ROW_MODELS}
    assert {
        "Athlete",
        "ActivitySummary",
        "ActivityDetail",
        "Recording",
        "Lap",
        "SleepSession",
        "SleepStage",
    } <= names
    assert {"WellnessDay", "WellnessSourceDay", "MetricPoint"} <= names


@pytest.mark.parametrize("model", ROW_MODELS, ids=lambda cls: cls.__name__)
def test_fields_are_contract_columns_with_the_contracts_types(model: type[TableRow]) -> None:
    columns = contract_columns(model.openfit_table)
    for name, info in model.model_fields.items():
        if name in model.derived_fields:
            assert name not in columns, f"{model.__name__}.{name} is a column: not a derived field"
            continue
        assert name in columns, f"{model.__name__}.{name} is not a column of openfit.{model.openfit_table}"
        column = columns[name]
        kind, nullable = _python_type(info.annotation)
        assert kind is PYTHON_TYPES[column.data_type], (
            f"{model.__name__}.{name}: {kind.__name__} for a {column.data_type} column"
        )
        if not column.not_null:
            assert nullable, f"{model.__name__}.{name} refuses null; the contract allows it"


@pytest.mark.parametrize("model", ROW_MODELS, ids=lambda cls: cls.__name__)
def test_column_fields_carry_the_contracts_description_and_unit(model: type[TableRow]) -> None:
    columns = contract_columns(model.openfit_table)
    schema = model.model_json_schema()["properties"]
    for name in set(model.model_fields) - model.derived_fields:
        column = columns[name]
        assert schema[name]["description"].startswith(column.description), name
        if column.unit:
            assert f"Unit: {column.unit}." in schema[name]["description"], name


def test_a_field_outside_the_contract_is_reported() -> None:
    class Wrong(TableRow):
        openfit_table = "laps"

        lap_index: int
        lap_colour: str | None = None

    with pytest.raises(AssertionError, match="lap_colour is not a column"):
        test_fields_are_contract_columns_with_the_contracts_types(Wrong)


MARTS_YML = Path(__file__).resolve().parents[2] / "transform" / "models" / "marts" / "_marts__models.yml"
MART_ROW_MODELS = [models.ActivityDataIssue]


def _mart_contract(table: str) -> dict[str, dict]:
    """The columns of a published mart as its dbt contract (marts/_marts__models.yml) declares them."""
    (model,) = [m for m in yaml.safe_load(MARTS_YML.read_text())["models"] if m["name"] == table]
    assert model["config"]["contract"]["enforced"] is True
    return {c["name"]: c for c in model["columns"]}


@pytest.mark.parametrize("model", MART_ROW_MODELS, ids=lambda cls: cls.__name__)
def test_mart_row_fields_follow_the_marts_contract(model) -> None:
    columns = _mart_contract(model.mart_table)
    schema = model.model_json_schema()["properties"]
    for name, info in model.model_fields.items():
        assert name in columns, f"{model.__name__}.{name} is not a column of marts.{model.mart_table}"
        column = columns[name]
        kind, nullable = _python_type(info.annotation)
        assert kind is PYTHON_TYPES[column["data_type"]], f"{model.__name__}.{name}: {kind.__name__}"
        not_null = {"type": "not_null"} in column.get("constraints", [])
        assert nullable is not not_null, f"{model.__name__}.{name}: nullability differs from the contract"
        assert schema[name]["description"].startswith(column["description"].strip()), name
        unit = column.get("meta", {}).get("unit")
        if unit and unit != "see description":
            assert f"Unit: {unit}." in schema[name]["description"], name
