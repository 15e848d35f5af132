"""The README's researcher section is true: its shell and Python blocks run, as written, on a built home.

They are run from a folder whose `data` is the session's built home, so the README's default path
(data/serving/snapshot.duckdb) is the one opened. `uv run X` is run as the X of this test's interpreter (the
same environment `uv run` would use, without a `uv` on PATH or a sync). The R block is documented, not run.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from openfit.settings import REPO_ROOT

SECTION_START, SECTION_END = "### Researchers\n", "### Everyone else\n"
FENCED_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)
BIN_DIR = Path(sys.executable).parent


def researcher_blocks() -> list[tuple[str, str]]:
    """(language, code) of each fenced block in the README's researcher section."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme[readme.index(SECTION_START) : readme.index(SECTION_END)]
    return FENCED_BLOCK.findall(section)


def _command(line: str) -> list[str]:
    words = shlex.split(line)
    assert words[:2] == ["uv", "run"], f"a README command that this test cannot run: {line}"
    if words[2] == "openfit":
        return [sys.executable, "-m", "openfit", *words[3:]]
    return [str(BIN_DIR / words[2]), *words[3:]]


@pytest.fixture
def readme_folder(fixture_warehouse, tmp_path) -> Path:
    """A working folder whose data/ is the built home (the README's default OPENFIT_HOME is ./data)."""
    (tmp_path / "data").symlink_to(fixture_warehouse.home_dir, target_is_directory=True)
    return tmp_path


def _env() -> dict[str, str]:
    # The README's commands use the default home, ./data: no OPENFIT_HOME from the test session.
    return {k: v for k, v in os.environ.items() if not k.startswith("OPENFIT_")}


def test_the_section_has_shell_python_and_r_blocks():
    languages = [language for language, _ in researcher_blocks()]
    assert languages.count("bash") == 1 and languages.count("python") == 2 and languages.count("r") == 1


def test_shell_commands_run_on_the_snapshot(readme_folder):
    (block,) = [code for language, code in researcher_blocks() if language == "bash"]
    lines = [line for line in block.splitlines() if line.strip()]
    assert len(lines) >= 5
    for line in lines:
        result = subprocess.run(
            _command(line),
            cwd=readme_folder,
            env=_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"{line}\n{result.stderr}"
    # The files the commands wrote hold the snapshot's rows.
    with duckdb.connect(str(readme_folder / "data" / "serving" / "snapshot.duckdb"), read_only=True) as con:
        load_days = con.sql("select count(*) from marts.daily_training_load").fetchone()[0]
        samples = con.sql("select count(*) from openfit.activity_samples").fetchone()[0]
    csv_rows = duckdb.sql(
        f"select count(*) from read_csv('{readme_folder / 'daily_training_load.csv'}')"
    ).fetchone()[0]
    parquet_rows = duckdb.sql(
        f"select count(*) from '{readme_folder / 'activity_samples.parquet'}'"
    ).fetchone()[0]
    assert (csv_rows, parquet_rows) == (load_days, samples)
    assert load_days > 0 and samples > 0


@pytest.mark.parametrize("index", [0, 1])
def test_python_snippets_run_on_the_snapshot(readme_folder, index):
    blocks = [code for language, code in researcher_blocks() if language == "python"]
    result = subprocess.run(
        [sys.executable, "-c", blocks[index]],
        cwd=readme_folder,
        env=_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "each snippet prints what it computed"
