"""serving/build_progress.json: what readers are told about a running build."""

from __future__ import annotations

import json
import subprocess
import sys

from openfit.progress import ProgressFile, is_running, read_progress
from openfit.settings import Settings


def _settings(tmp_path) -> Settings:
    return Settings(home=tmp_path)


def test_a_run_is_running_until_it_finishes_then_says_how_it_ended(tmp_path):
    settings = _settings(tmp_path)
    assert read_progress(settings) is None
    progress = ProgressFile(settings, "demo: first snapshot (7 days)")
    assert is_running(read_progress(settings))
    progress.finish(False, "step openfit_dbt failed: unique_activity_samples")
    written = read_progress(settings)
    assert not is_running(written)
    assert written["outcome"] == "failed" and "unique_activity_samples" in written["message"]
    assert written["label"] == "demo: first snapshot (7 days)"


def test_a_run_whose_process_died_is_not_running(tmp_path):
    settings = _settings(tmp_path)
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from openfit.progress import ProgressFile; from openfit.settings import Settings; "
            f"ProgressFile(Settings(home={str(tmp_path)!r}), 'killed')",
        ],
        check=True,
    )
    assert child.returncode == 0
    written = read_progress(settings)
    assert written["label"] == "killed" and written["finished_at"] is None
    assert not is_running(written)  # unfinished, but its writer is gone: not "running" for ever


def test_a_half_written_file_reads_as_nothing(tmp_path):
    settings = _settings(tmp_path)
    settings.serving_dir.mkdir(parents=True)
    (settings.serving_dir / "build_progress.json").write_text(json.dumps({"label": "x"})[:5])
    assert read_progress(settings) is None
