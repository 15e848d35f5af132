"""Publish the OpenFit spec: SCHEMA.md and one JSON Schema per table, generated from the dbt YAML.

The single source of truth is ``transform/models/openfit/_openfit__models.yml`` (column ``data_type``,
``description``, ``meta.unit``, the constraints and the data tests), plus the spec version in ``transform/dbt_project.yml``
(``vars.openfit_spec_version``), the overview doc block next to the models, and the lookup seeds the models
reference (e.g. ``seeds/metric_types.csv``, the vocabulary of ``openfit.metrics``). Nothing here is written by hand,
so the published spec cannot drift from the contracts dbt enforces.

    uv run python -m openfit.schema_spec            # (re)write SCHEMA.md and schema/openfit/*.schema.json
    uv run python -m openfit.schema_spec --check    # exit 1 and name the stale files if they are out of date
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "transform"
MODELS_YML = Path("models") / "openfit" / "_openfit__models.yml"
OVERVIEW_MD = Path("models") / "openfit" / "_openfit__overview.md"
SEEDS_DIR = Path("seeds")
SEEDS_YML = SEEDS_DIR / "_seeds.yml"
SCHEMA_MD = Path("SCHEMA.md")
JSON_SCHEMA_DIR = Path("schema") / "openfit"

# DuckDB type (as written in the contracts) -> JSON Schema type and format.
JSON_TYPES: dict[str, tuple[str, str | None]] = {
    "varchar": ("string", None),
    "smallint": ("integer", None),
    "integer": ("integer", None),
    "bigint": ("integer", None),
    "double": ("number", None),
    "boolean": ("boolean", None),
    "date": ("string", "date"),
    "timestamp with time zone": ("string", "date-time"),
}


class SpecError(ValueError):
    """The dbt YAML does not describe a publishable spec (a column without a type, an unknown test...)."""


@dataclass
class Column:
    name: str
    data_type: str
    description: str
    unit: str | None = None
    not_null: bool = False
    unique: bool = False
    accepted_values: list[Any] | None = None
    minimum: float | None = None
    maximum: float | None = None
    references: str | None = None  # "table.column"
    lookup: str | None = None  # seed whose `field` values are the accepted values
    range_lookup: tuple[str, str] | None = None  # (seed, key): the value lies in the seed row's min/max


@dataclass
class Table:
    name: str
    description: str
    columns: list[Column]
    primary_key: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)


@dataclass
class Lookup:
    """A seed the spec refers to (a controlled vocabulary), published with its rows."""

    name: str
    description: str
    columns: list[str]
    rows: list[dict[str, str]]


@dataclass
class Spec:
    version: str
    overview: str
    tables: list[Table]
    lookups: list[Lookup] = field(default_factory=list)


def _test_name_and_args(test: str | dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A dbt data test entry -> (name, arguments); accepts `- not_null` and `- in_range: {arguments: ...}`."""
    if isinstance(test, str):
        return test, {}
    if not isinstance(test, dict) or len(test) != 1:
        raise SpecError(f"unreadable data test entry: {test!r}")
    ((name, body),) = test.items()
    body = body or {}
    args = dict(body.get("arguments", {}))
    args.update({k: v for k, v in body.items() if k not in ("arguments", "config", "name", "description")})
    return name, args


def _ref_target(expr: str) -> str:
    match = re.fullmatch(r"""ref\(\s*['"]([\w.]+)['"]\s*\)""", expr.strip())
    if not match:
        raise SpecError(f"relationships target must be ref('<model>'), got {expr!r}")
    return match.group(1)


def _number(value: Any) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


_NUMBER = r"-?\d+(?:\.\d+)?"


def _apply_range_check(table: str, column: Column, expression: str) -> None:
    """Read a column CHECK of the published forms: `<col> between <a> and <b>`, `<col> >= <a>`, `<col> <= <b>`."""
    expression = " ".join(expression.split())
    col = re.escape(column.name)
    if match := re.fullmatch(rf"{col} between ({_NUMBER}) and ({_NUMBER})", expression, re.I):
        column.minimum, column.maximum = _number(match.group(1)), _number(match.group(2))
    elif match := re.fullmatch(rf"{col} >= ({_NUMBER})", expression):
        column.minimum = _number(match.group(1))
    elif match := re.fullmatch(rf"{col} <= ({_NUMBER})", expression):
        column.maximum = _number(match.group(1))
    else:
        raise SpecError(
            f"{table}.{column.name}: column check {expression!r} is not a range "
            f"('{column.name} between <min> and <max>', '>= <min>', '<= <max>'); put row rules on the model"
        )


def _column(table: str, raw: dict[str, Any], seeds: _Seeds) -> Column:
    name = raw.get("name")
    data_type = (raw.get("data_type") or "").strip().lower()
    if not name or data_type not in JSON_TYPES:
        raise SpecError(
            f"{table}.{name}: data_type {data_type!r} is missing or not one of {sorted(JSON_TYPES)}"
        )
    description = " ".join((raw.get("description") or "").split())
    if not description:
        raise SpecError(f"{table}.{name}: every published column needs a description")
    column = Column(
        name=name, data_type=data_type, description=description, unit=(raw.get("meta") or {}).get("unit")
    )
    for constraint in raw.get("constraints") or []:
        kind = constraint.get("type")
        if kind == "not_null":
            column.not_null = True
        elif kind == "check":
            _apply_range_check(table, column, str(constraint.get("expression", "")))
        else:
            raise SpecError(
                f"{table}.{name}: constraint {kind!r} has no meaning in the spec; teach schema_spec.py"
            )
    for test in raw.get("data_tests") or raw.get("tests") or []:
        test_name, args = _test_name_and_args(test)
        if test_name == "not_null":
            column.not_null = True
        elif test_name == "unique":
            column.unique = True
        elif test_name == "accepted_values":
            column.accepted_values = list(args["values"])
        elif test_name == "in_range":
            if args.get("min_value") is not None:
                column.minimum = _number(args["min_value"])
            if args.get("max_value") is not None:
                column.maximum = _number(args["max_value"])
        elif test_name == "relationships":
            target = _ref_target(args["to"])
            if seeds.exists(target):
                column.lookup = target
                column.accepted_values = [row[args["field"]] for row in seeds.load(target).rows]
            else:
                column.references = f"{target}.{args['field']}"
        elif test_name == "in_range_of_lookup":
            target = _ref_target(args["to"])
            if not seeds.exists(target):
                raise SpecError(f"{table}.{name}: in_range_of_lookup must point to a seed, got {target!r}")
            seeds.load(target)
            column.range_lookup = (target, args["key"])
        elif test_name == "not_in_future":
            pass  # a freshness check on the data, not a property of the format
        else:
            raise SpecError(
                f"{table}.{name}: test {test_name!r} has no meaning in the spec; teach schema_spec.py"
            )
    return column


def _table(raw: dict[str, Any], seeds: _Seeds) -> Table:
    name = raw["name"]
    description = " ".join((raw.get("description") or "").split())
    if not description:
        raise SpecError(f"{name}: every published table needs a description")
    columns = [_column(name, column, seeds) for column in raw.get("columns") or []]
    if not columns:
        raise SpecError(f"{name}: no columns declared")
    table = Table(name=name, description=description, columns=columns)
    for constraint in raw.get("constraints") or []:
        if constraint.get("type") != "check":
            raise SpecError(f"{name}: model constraint {constraint.get('type')!r} has no meaning in the spec")
        table.checks.append(" ".join(str(constraint["expression"]).split()))
    for test in raw.get("data_tests") or raw.get("tests") or []:
        test_name, args = _test_name_and_args(test)
        if test_name == "unique_combination":
            table.primary_key = list(args["columns"])
        elif test_name == "expression_is_true":
            table.checks.append(" ".join(str(args["expression"]).split()))
        else:
            raise SpecError(
                f"{name}: table test {test_name!r} has no meaning in the spec; teach schema_spec.py"
            )
    if not table.primary_key:
        table.primary_key = [c.name for c in columns if c.unique and c.not_null]
    known = {c.name for c in columns}
    missing = [c for c in table.primary_key if c not in known]
    if missing:
        raise SpecError(f"{name}: primary key columns {missing} are not declared")
    return table


class _Seeds:
    """The lookup seeds of the dbt project, read on first use (CSV rows as strings, in file order)."""

    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir
        self.loaded: dict[str, Lookup] = {}
        seeds_yml = project_dir / SEEDS_YML
        config = yaml.safe_load(seeds_yml.read_text(encoding="utf-8")) if seeds_yml.is_file() else {}
        self.descriptions = {
            s["name"]: " ".join(s.get("description", "").split()) for s in config.get("seeds", [])
        }

    def exists(self, name: str) -> bool:
        return (self.project_dir / SEEDS_DIR / f"{name}.csv").is_file()

    def load(self, name: str) -> Lookup:
        if name not in self.loaded:
            with (self.project_dir / SEEDS_DIR / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                rows = list(reader)
                columns = list(reader.fieldnames or [])
            if not self.descriptions.get(name):
                raise SpecError(
                    f"seed {name} is published by the spec and needs a description in {SEEDS_YML}"
                )
            self.loaded[name] = Lookup(name, self.descriptions[name], columns, rows)
        return self.loaded[name]


def _overview(project_dir: Path) -> str:
    text = (project_dir / OVERVIEW_MD).read_text(encoding="utf-8")
    match = re.search(r"{%\s*docs\s+openfit_overview\s*%}(.*?){%\s*enddocs\s*%}", text, re.S)
    if not match:
        raise SpecError(f"{OVERVIEW_MD}: no docs block named openfit_overview")
    return match.group(1).strip()


def load_spec(project_dir: Path = DBT_PROJECT_DIR) -> Spec:
    """Read the spec from the dbt project (no database, no dbt parse: plain YAML)."""
    project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    version = str((project.get("vars") or {}).get("openfit_spec_version") or "")
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise SpecError(f"dbt_project.yml vars.openfit_spec_version must be semver, got {version!r}")
    models = yaml.safe_load((project_dir / MODELS_YML).read_text(encoding="utf-8"))["models"]
    seeds = _Seeds(project_dir)
    tables = [_table(m, seeds) for m in models]
    return Spec(
        version=version, overview=_overview(project_dir), tables=tables, lookups=list(seeds.loaded.values())
    )


# ---------------------------------------------------------------------------------------------------- rendering


def _constraints(table: Table, column: Column) -> list[str]:
    parts: list[str] = []
    if column.name in table.primary_key:
        parts.append("primary key" if len(table.primary_key) == 1 else "part of primary key")
    elif column.unique:
        parts.append("unique")
    if column.not_null:
        parts.append("not null")
    if column.lookup:
        parts.append(f"one of the [{column.lookup}](#{column.lookup.replace('_', '-')})")
    elif column.accepted_values is not None:
        parts.append("one of " + ", ".join(f"`{v}`" for v in column.accepted_values))
    if column.minimum is not None and column.maximum is not None:
        parts.append(f"{column.minimum} to {column.maximum}")
    elif column.minimum is not None:
        parts.append(f">= {column.minimum}")
    elif column.maximum is not None:
        parts.append(f"<= {column.maximum}")
    if column.range_lookup:
        seed, key = column.range_lookup
        parts.append(f"within the range of its `{key}` in [{seed}](#{seed.replace('_', '-')})")
    if column.references:
        parts.append(f"references `{column.references}`")
    return parts


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(spec: Spec) -> str:
    lines = [
        f"# OpenFit schema {spec.version}",
        "",
        "<!-- Generated by `uv run python -m openfit.schema_spec` from transform/models/openfit/. Do not edit. -->",
        "",
        spec.overview,
        "",
        "JSON Schema for one row of each table: [`schema/openfit/`](schema/openfit/) (`<table>.schema.json`).",
        "",
        "## Tables",
        "",
    ]
    lines += [f"- [`{t.name}`](#{t.name}): {t.description}" for t in spec.tables]
    for table in spec.tables:
        lines += ["", f"## {table.name}", "", table.description, ""]
        if table.primary_key:
            lines.append("Primary key: " + ", ".join(f"`{c}`" for c in table.primary_key) + ".")
        if table.checks:
            lines.append("Row checks: " + "; ".join(f"`{c}`" for c in table.checks) + ".")
        lines += [
            "",
            "| column | type | unit | description | constraints |",
            "|---|---|---|---|---|",
        ]
        for column in table.columns:
            lines.append(
                f"| `{column.name}` | {column.data_type} | {_cell(column.unit or '')} | {_cell(column.description)} "
                f"| {_cell('; '.join(_constraints(table, column)))} |"
            )
    for lookup in spec.lookups:
        title = lookup.name.replace("_", " ").capitalize()
        lines += [
            "",
            f"## {title}",
            "",
            f'<a id="{lookup.name.replace("_", "-")}"></a>',
            "",
            lookup.description,
            "",
        ]
        lines.append("| " + " | ".join(lookup.columns) + " |")
        lines.append("|" + "---|" * len(lookup.columns))
        lines += ["| " + " | ".join(_cell(row[c]) for c in lookup.columns) + " |" for row in lookup.rows]
    return "\n".join(lines) + "\n"


def _range_rules(spec: Spec, table: Table) -> list[dict[str, Any]]:
    """JSON Schema if/then rules for values whose range depends on a lookup row (e.g. per metric)."""
    rules: list[dict[str, Any]] = []
    lookups = {lookup.name: lookup for lookup in spec.lookups}
    for column in table.columns:
        if not column.range_lookup:
            continue
        seed, key = column.range_lookup
        for row in lookups[seed].rows:
            bounds = {"minimum": _number(row["min_value"]), "maximum": _number(row["max_value"])}
            then: dict[str, Any] = {"properties": {column.name: bounds}}
            if "unit" in row and any(c.name == "unit" for c in table.columns):
                then["properties"]["unit"] = {"const": row["unit"]}
            rules.append({"if": {"properties": {key: {"const": row[key]}}, "required": [key]}, "then": then})
    return rules


def json_schema(spec: Spec, table: Table) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for column in table.columns:
        json_type, json_format = JSON_TYPES[column.data_type]
        prop: dict[str, Any] = {"type": json_type if column.not_null else [json_type, "null"]}
        if json_format:
            prop["format"] = json_format
        prop["description"] = column.description
        if column.accepted_values is not None:
            prop["enum"] = list(column.accepted_values) + ([] if column.not_null else [None])
        if column.minimum is not None:
            prop["minimum"] = column.minimum
        if column.maximum is not None:
            prop["maximum"] = column.maximum
        prop["x-sql-type"] = column.data_type
        if column.unit:
            prop["x-unit"] = column.unit
        if column.references:
            prop["x-references"] = column.references
        if column.lookup:
            prop["x-lookup"] = column.lookup
        properties[column.name] = prop
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:openfit:schema:{spec.version}:{table.name}",
        "title": f"OpenFit {table.name} row",
        "description": table.description,
        "type": "object",
        "properties": properties,
        "required": [c.name for c in table.columns],
        "additionalProperties": False,
        "x-openfit-version": spec.version,
        "x-primary-key": table.primary_key,
    }
    rules = _range_rules(spec, table)
    if rules:
        schema["allOf"] = rules
    if table.checks:
        schema["x-row-checks"] = table.checks
    return schema


def generated_files(project_dir: Path = DBT_PROJECT_DIR) -> dict[Path, str]:
    """Every published file (path relative to the repo root) and its content."""
    spec = load_spec(project_dir)
    files = {SCHEMA_MD: render_markdown(spec)}
    for table in spec.tables:
        files[JSON_SCHEMA_DIR / f"{table.name}.schema.json"] = (
            json.dumps(json_schema(spec, table), indent=2, ensure_ascii=False) + "\n"
        )
    return files


def stale_files(repo_root: Path = REPO_ROOT, project_dir: Path = DBT_PROJECT_DIR) -> list[Path]:
    """Published files that are missing, differ from a fresh generation, or belong to no table any more."""
    files = generated_files(project_dir)
    stale = [
        path
        for path, text in files.items()
        if not (repo_root / path).is_file() or (repo_root / path).read_text(encoding="utf-8") != text
    ]
    schema_dir = repo_root / JSON_SCHEMA_DIR
    if schema_dir.is_dir():
        stale += [
            p.relative_to(repo_root)
            for p in sorted(schema_dir.glob("*.schema.json"))
            if p.relative_to(repo_root) not in files
        ]
    return stale


def write(repo_root: Path = REPO_ROOT, project_dir: Path = DBT_PROJECT_DIR) -> list[Path]:
    """(Re)write the published files; remove schemas of tables that no longer exist. Returns what changed."""
    changed = stale_files(repo_root, project_dir)
    files = generated_files(project_dir)
    for path in changed:
        target = repo_root / path
        if path in files:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(files[path], encoding="utf-8")
        else:
            target.unlink()
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m openfit.schema_spec", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--check", action="store_true", help="only report stale files; exit 1 if any")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        if stale:
            print("run: uv run python -m openfit.schema_spec", file=sys.stderr)
        return 1 if stale else 0
    changed = write()
    print(
        f"OpenFit spec {load_spec().version}: {len(changed)} file(s) updated"
        + "".join(f"\n  {path}" for path in changed)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
