"""The research notebooks in examples/ run, headless, on the session's built snapshot and produce their result.

Every marimo notebook found in examples/ is run as a script (`python examples/<name>.py`, which runs the app)
with OPENFIT_HOME pointing at the session's home and OPENFIT_EXAMPLES_OUT at a fresh folder. It must exit 0
and leave `<name>.csv` (a non-empty table with the columns listed below) and `<name>.html` (its figure).
A new notebook is picked up automatically and fails here until its columns are listed in EXPECTED_COLUMNS.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from openfit.settings import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples"
NOTEBOOKS = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))
BIN_DIR = Path(sys.executable).parent

EXPECTED_COLUMNS = {
    "hrv_after_hard_days": {"lag_days", "pairs", "hard_days", "r", "hrv_change_pct", "hrv_change_sd"},
    "power_curve_seasons": {"athlete_id", "period", "duration_s", "watts", "activity_id", "rides"},
    "watch_vs_ring_resting_hr": {"athlete_id", "days", "bias_bpm", "sd_bpm", "loa_lower_bpm", "loa_upper_bpm"},
    "ramp_and_acwr_weeks": {
        "athlete_id", "week_start", "max_ramp_rate", "max_acwr", "ramp_broken", "acwr_broken", "ctl_settling",
    },
}  # fmt: skip


def test_the_four_notebooks_are_there():
    assert {p.stem for p in NOTEBOOKS} >= set(EXPECTED_COLUMNS)


def _run(notebook: Path, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENFIT_EXAMPLES_OUT": str(out)}  # OPENFIT_HOME: set by fixture_warehouse
    return subprocess.run(
        [sys.executable, str(notebook)],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_headless_and_writes_its_result(notebook, fixture_warehouse, tmp_path):
    result = _run(notebook, tmp_path)
    assert result.returncode == 0, f"{notebook.name} failed:\n{result.stderr[-4000:]}"
    table_path, figure_path = tmp_path / f"{notebook.stem}.csv", tmp_path / f"{notebook.stem}.html"
    assert table_path.is_file() and figure_path.is_file(), sorted(p.name for p in tmp_path.iterdir())
    table = pl.read_csv(table_path)
    assert table.height > 0, f"{notebook.name} wrote an empty table; it said:\n{result.stdout}"
    assert notebook.stem in EXPECTED_COLUMNS, (
        f"list the result columns of {notebook.name} in EXPECTED_COLUMNS"
    )
    assert EXPECTED_COLUMNS[notebook.stem] <= set(table.columns), table.columns
    figure = figure_path.read_text()
    assert "vegaEmbed" in figure and '"$schema"' in figure  # a Vega-Lite chart with its spec


def test_notebooks_read_the_published_snapshot_only():
    """Data access goes through examples/_snapshot.py (the read layer, read-only): no notebook connects itself."""
    for notebook in NOTEBOOKS:
        source = notebook.read_text()
        assert "duckdb.connect" not in source and "warehouse" not in source, notebook.name
        assert "import _snapshot as snapshot" in source, notebook.name


def test_notebooks_are_valid_marimo_apps():
    result = subprocess.run(
        [str(BIN_DIR / "marimo"), "check", "--strict", *map(str, NOTEBOOKS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_missing_snapshot_fails_with_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "empty_home"))
    result = _run(EXAMPLES / "ramp_and_acwr_weeks.py", tmp_path / "out")
    assert result.returncode != 0
    assert "no snapshot at" in result.stderr and "openfit build" in result.stderr


def test_power_curve_periods_add_up_to_the_published_all_time_curve(fixture_warehouse, tmp_path):
    """The notebook's per-period bests (analytics.mean_max on the samples) agree with marts.power_curve."""
    assert _run(EXAMPLES / "power_curve_seasons.py", tmp_path).returncode == 0
    best = (
        pl.read_csv(tmp_path / "power_curve_seasons.csv")
        .group_by("athlete_id", "duration_s")
        .agg(pl.col("watts").max())
    )
    with duckdb.connect(str(fixture_warehouse.snapshot_path), read_only=True) as con:
        mart = con.sql(
            """select athlete_id, duration_s::bigint as duration_s, watts as mart_watts
               from marts.power_curve where "window" = 'all_time'"""
        ).pl()
    joined = best.join(mart, on=["athlete_id", "duration_s"], how="full", coalesce=True)
    assert joined.height > 0 and joined.null_count().sum_horizontal().item() == 0, joined
    assert (joined["watts"] - joined["mart_watts"]).abs().max() < 1e-6
