"""`openfit import ../shared/fixtures` (skipped when absent): every fitness file in the corpus is accounted for
in the import log, and a second run imports nothing new."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cli import app
from ingestion.files.importer import import_paths
from openfit.settings import get_settings

FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures"
FITNESS_SUFFIXES = (".fit", ".gpx", ".tcx", ".fit.gz", ".gpx.gz", ".tcx.gz", ".zip")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_every_corpus_file_is_accounted_for_and_reimport_adds_nothing(tmp_path, monkeypatch):
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present")
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "home"))
    settings = get_settings()
    fitness_files = {
        str(path)
        for path in FIXTURES.rglob("*")
        if path.is_file()
        and path.name.lower().endswith(FITNESS_SUFFIXES)
        # personal health exports (Apple Health zips) are not activity files: not imported yet
        and "health" not in path.relative_to(FIXTURES).parts
    }
    assert fitness_files

    result = CliRunner().invoke(app, ["import", str(FIXTURES), "--no-build"])
    assert result.exit_code in (0, 3), result.output

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        logged = con.execute("select original_name, status, reason from raw_files.file_imports").fetchall()
    names = {name for name, _, _ in logged}
    assert fitness_files <= names, sorted(fitness_files - names)[:5]
    assert {status for _, status, _ in logged} <= {"imported", "partial", "duplicate", "quarantined"}
    assert all(reason for _, status, reason in logged if status in ("partial", "quarantined"))
    quarantined = sum(1 for _, status, _ in logged if status == "quarantined")
    assert result.exit_code == (3 if quarantined else 0)

    again = import_paths([FIXTURES], settings)
    assert again.imported == 0 and again.partial == 0
    assert again.duplicate == sum(
        1 for _, status, _ in logged if status in ("imported", "partial", "duplicate")
    )
    assert again.quarantined == quarantined  # quarantined files are retried, and fail the same way
