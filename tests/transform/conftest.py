"""A small real warehouse for the transform tests: synthetic raw via dlt, then `dbt build` in-process.

Built once per module. When the session fixture warehouse (tests/conftest.py) runs this same dlt -> dbt path,
`transform_warehouse` can simply return it: the tests only need a built warehouse path and the dbt result.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest

import openfit  # noqa: F401  (telemetry off before dlt/dbt are imported)
from openfit.settings import DBT_PROJECT_DIR, Settings, get_settings

COHORT = {"athletes": 2, "days": 14, "seed": 11, "end_date": date(2026, 3, 31)}
# The OpenFit layers only: the marts have their own tests, and their failures are not ours to report.
BUILD_ARGS = ("build", "--exclude", "path:models/marts")


@dataclass
class BuiltWarehouse:
    settings: Settings
    dbt_results: list  # dbt RunResult objects of the `dbt build`


def run_dbt(settings: Settings, *args: str):
    """`dbt <args>` in-process against the settings' warehouse; returns dbt's runner result."""
    from dbt.cli.main import dbtRunner

    from orchestration.dbt import dbt_vars_arg

    os.environ["OPENFIT_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    # In-process dbt outlives the run: it must release the file so the tests can open it.
    os.environ["OPENFIT_DBT_KEEP_OPEN"] = "False"  # as_bool wants a Python literal
    return dbtRunner().invoke(
        [
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--quiet",
            *dbt_vars_arg(settings),
        ]
    )


def load_synthetic_raw(settings: Settings, athletes: int, days: int, seed: int, end_date: date) -> None:
    from ingestion.pipelines import provider_pipeline
    from ingestion.sources.synthetic import synthetic_source

    source = synthetic_source(athletes=athletes, days=days, seed=seed, end_date=end_date)
    provider_pipeline("synthetic", settings).run(source).raise_on_failed_jobs()


@pytest.fixture(scope="module")
def transform_warehouse(tmp_path_factory) -> Iterator[BuiltWarehouse]:
    home = tmp_path_factory.mktemp("transform_home")
    saved = {
        key: os.environ.get(key)
        for key in ("OPENFIT_HOME", "OPENFIT_WAREHOUSE_PATH", "OPENFIT_DBT_KEEP_OPEN")
    }
    os.environ["OPENFIT_HOME"] = str(home)
    get_settings.cache_clear()
    settings = get_settings()
    try:
        load_synthetic_raw(settings, **COHORT)
        result = run_dbt(settings, *BUILD_ARGS)
        assert result.success, f"dbt build failed: {result.exception or _failures(result.result)}"
        yield BuiltWarehouse(settings=settings, dbt_results=list(result.result))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


def _failures(results) -> str:
    return "; ".join(
        f"{r.node.name}: {r.message}" for r in results or [] if r.status not in ("success", "pass")
    )
