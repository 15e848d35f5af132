"""Each algorithm variant is declared once, in analytics.VARIANTS (names, allowed values, default first): the
settings take their defaults and checks from it, dbt declares no default of its own, and the marts' tests of
the variant columns accept exactly its names."""

from __future__ import annotations

import os

import pydantic
import pytest
import yaml

from analytics import DEFAULTS, VARIANTS
from openfit.settings import ALGORITHM_SETTINGS, DBT_PROJECT_DIR, DBT_VAR_SETTINGS, Settings

# Mart columns that name the variant a row was computed with -> their family.
VARIANT_COLUMNS = {"pmc_convention": "pmc", "tsb_alignment": "tsb", "load_source": "load_source"}


def test_settings_defaults_are_the_declared_defaults() -> None:
    settings = Settings(_env_file=None)
    for name, family in ALGORITHM_SETTINGS.items():
        assert getattr(settings, name) == DEFAULTS[family], name
    assert settings.algo_load_priority == ",".join(VARIANTS["load_source"])


@pytest.mark.parametrize("name", sorted(ALGORITHM_SETTINGS))
def test_a_setting_outside_the_declared_names_is_refused_naming_them(name: str) -> None:
    family = ALGORITHM_SETTINGS[name]
    with pytest.raises(pydantic.ValidationError) as error:
        Settings(_env_file=None, **{name: "no_such_variant"})
    assert VARIANTS[family][0] in str(error.value)
    # every declared name is accepted, spelt as the settings take it (case and '-' forgiven)
    for variant in VARIANTS[family]:
        assert getattr(Settings(_env_file=None, **{name: variant.upper().replace("_", "-")}), name) == variant


def test_a_load_priority_with_an_unknown_or_repeated_source_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="power_tss"):
        Settings(_env_file=None, algo_load_priority="power_tss,watts")
    with pytest.raises(pydantic.ValidationError, match="twice"):
        Settings(_env_file=None, algo_load_priority="rtss,rtss")
    assert Settings(_env_file=None, algo_load_priority="HRSS, rtss").algo_load_priority == "hrss,rtss"


def test_dbt_declares_no_default_for_what_the_settings_pass() -> None:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    assert not set(DBT_VAR_SETTINGS) & set(project.get("vars", {}))


def test_the_marts_variant_columns_accept_exactly_the_declared_names() -> None:
    found = {}
    for path in (DBT_PROJECT_DIR / "models" / "marts").rglob("*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            for column in model.get("columns", []):
                if column["name"] not in VARIANT_COLUMNS:
                    continue
                for test in column.get("data_tests", column.get("tests", [])):
                    if isinstance(test, dict) and "accepted_values" in test:
                        spec = test["accepted_values"]
                        values = spec.get("arguments", spec).get("values")
                        found[(model["name"], column["name"])] = values
    assert found, "no accepted_values test on a variant column was found"
    for (model, column), values in found.items():
        assert values == list(VARIANTS[VARIANT_COLUMNS[column]]), f"{model}.{column}"


def test_dbt_by_hand_gets_the_settings_vars_and_a_bare_dbt_call_does_not_guess(tmp_path, monkeypatch) -> None:
    import subprocess
    import sys

    from orchestration.dbt import dbt_executable

    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "home"))
    target = ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    by_hand = subprocess.run(
        [sys.executable, "-m", "orchestration.dbt", "parse", *target],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert by_hand.returncode == 0, by_hand.stdout[-2000:]
    from orchestration.dbt import dbt_env

    bare = subprocess.run(  # the same call with the profile's environment but without the vars
        [dbt_executable(), "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         *target],
        env={**os.environ, **dbt_env()},
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert bare.returncode != 0 and "Required var" in bare.stdout, bare.stdout[-2000:]
