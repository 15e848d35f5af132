"""The Dagster instance under $OPENFIT_HOME/dagster: run history for `openfit status` and the UI."""

from __future__ import annotations

import os

from openfit.settings import Settings, get_settings

# Every writer of the warehouse file runs in this pool; the instance limits it to one slot (DuckDB allows
# one read-write process per file, and parallel writers fail on the lock: see stack-facts).
WRITER_POOL = "duckdb_writer"

DAGSTER_YAML = f"""\
# Written by OpenFit (openfit/instance.py); edits are overwritten.
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1   # {WRITER_POOL}: DuckDB allows one writer per file
  runs:
    max_concurrent_runs: 1
"""


def prepare_instance(settings: Settings | None = None) -> str:
    """Write dagster.yaml and point DAGSTER_HOME at it; returns the folder."""
    settings = settings or get_settings()
    settings.ensure_dirs()
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists() or config.read_text() != DAGSTER_YAML:
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    return str(settings.dagster_home)
