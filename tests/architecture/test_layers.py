"""The import contracts in pyproject.toml hold for the code, and they do catch a back-arrow: a copy of the
packages with one deliberately wrong import (the read layer importing the writer) is reported."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _packages() -> list[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["root_packages"]


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The root packages' Python files and pyproject.toml, copied as they are."""
    root = tmp_path_factory.mktemp("layers")
    for package in _packages():
        shutil.copytree(REPO / package, root / package, ignore=shutil.ignore_patterns("*.pyc", "__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_code_keeps_every_import_contract(tree_copy: Path) -> None:
    result = _lint_imports(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "layers:" in result.stdout and "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "reported"),
    [
        ("query/back_arrow.py", "import orchestration.publish", "query.back_arrow -> orchestration.publish"),
        ("api/back_arrow.py", "import orchestration.build", "api.back_arrow -> orchestration.build"),
        ("openfit/back_arrow.py", "import ingestion.registry", "openfit.back_arrow -> ingestion.registry"),
        ("analytics/back_arrow.py", "import duckdb", "analytics.back_arrow -> duckdb"),
    ],
)
def test_a_deliberately_wrong_import_is_reported(
    tmp_path: Path, tree_copy: Path, module: str, wrong_import: str, reported: str
) -> None:
    scratch = tmp_path / "tree"
    shutil.copytree(tree_copy, scratch)
    (scratch / module).write_text(f"{wrong_import}  # a back-arrow\n")
    result = _lint_imports(scratch)
    assert result.returncode == 1, result.stdout
    assert reported in result.stdout, result.stdout
