"""How OpenFit runs dbt: the project location, its environment and variables, and manifest preparation."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from openfit.settings import DBT_PROJECT_DIR, Settings, get_settings

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"


def dbt_env(settings: Settings | None = None) -> dict[str, str]:
    """Environment variables the dbt profile reads."""
    settings = settings or get_settings()
    return {
        "OPENFIT_WAREHOUSE_PATH": str(settings.warehouse_path),
        "OPENFIT_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
    }


def apply_dbt_env(settings: Settings | None = None) -> None:
    os.environ.update(dbt_env(settings))


# Settings that dbt receives as vars of the same name (declared, with defaults, in transform/dbt_project.yml).
DBT_VAR_SETTINGS = (
    "algo_pmc", "algo_tsb", "algo_load_priority", "algo_np", "algo_trimp", "algo_hrss", "algo_rtss", "algo_gap",
    "algo_acwr", "algo_ewma_seed", "algo_monotony_sd", "algo_cp_fit", "estimates_window_days", "marts_as_of_date",
)


def dbt_vars(settings: Settings | None = None) -> dict[str, str | int | list]:
    """Algorithm choices from settings, passed to every dbt invocation as --vars (never edited in code)."""
    settings = settings or get_settings()
    values: dict[str, str | int] = {}
    for name in DBT_VAR_SETTINGS:
        value = getattr(settings, name)
        values[name] = "" if value is None else value if isinstance(value, int) else str(value)
    values["daily_source_overrides"] = [entry.model_dump() for entry in settings.daily_source_overrides]
    return values


def dbt_vars_arg(settings: Settings | None = None) -> list[str]:
    return ["--vars", json.dumps(dbt_vars(settings))]


def dbt_executable() -> str:
    """The dbt next to this interpreter, so `openfit` works without an activated venv."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def _newest_source_mtime() -> float:
    newest = 0.0
    for pattern in ("models/**/*", "macros/**/*", "seeds/**/*", "tests/**/*", "*.yml"):
        for path in DBT_PROJECT_DIR.glob(pattern):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


def ensure_manifest(settings: Settings | None = None) -> Path:
    """Parse the dbt project (in-process) when the manifest is missing or older than the project files."""
    if MANIFEST_PATH.exists() and MANIFEST_PATH.stat().st_mtime >= _newest_source_mtime():
        return MANIFEST_PATH
    from dbt.cli.main import dbtRunner  # imported lazily: 2+ s

    apply_dbt_env(settings)
    result = dbtRunner().invoke(
        ["parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet"]
    )
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception or 'see dbt logs in transform/logs'}")
    return MANIFEST_PATH
