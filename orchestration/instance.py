"""The Dagster instance under $OPENFIT_HOME/dagster: run history for `openfit status` and the UI."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from openfit.progress import process_alive
from openfit.settings import Settings, get_settings

# Every writer of the warehouse file runs in this pool; the instance limits it to one slot (DuckDB allows
# one read-write process per file, and parallel writers fail on the lock: see stack-facts).
WRITER_POOL = "duckdb_writer"


def dagster_yaml(dagster_home: Path) -> str:
    """The instance's configuration. The event log is Dagster's SQLite storage with its connections kept open
    (orchestration/dagster_storage.py), in the folder the stock storage uses."""
    events_dir = json.dumps(str(dagster_home / "history" / "runs"))  # a YAML-safe quoted string
    return f"""\
# Written by OpenFit (orchestration/instance.py); edits are overwritten.
telemetry:
  enabled: false
concurrency:
  pools:
    default_limit: 1   # {WRITER_POOL}: DuckDB allows one writer per file
  runs:
    max_concurrent_runs: 1
event_log_storage:
  module: orchestration.dagster_storage
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {events_dir}
"""


def prepare_instance(settings: Settings | None = None) -> str:
    """Write dagster.yaml and point DAGSTER_HOME at it; returns the folder."""
    settings = settings or get_settings()
    settings.ensure_dirs()
    config = settings.dagster_home / "dagster.yaml"
    wanted = dagster_yaml(settings.dagster_home)
    if not config.exists() or config.read_text() != wanted:
        config.write_text(wanted)
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    return str(settings.dagster_home)


# In-process runs carry the writing process's pid, so that a run whose process died (SIGKILL, power loss) can be
# told from one still writing: a dead run would otherwise hold the writer pool's only slot for good, and every
# later build would wait for it.
PID_TAG = "openfit/pid"
HOST_TAG = "openfit/host"


def writer_tags() -> dict[str, str]:
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def release_dead_writers(instance) -> list[str]:
    """Mark in-process runs of this host whose process is gone as failed and free their pool slots; returns
    their run ids."""
    import dagster as dg

    released = []
    unfinished = instance.get_runs(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])
    )
    for run in unfinished:
        pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
        if not pid or host != socket.gethostname() or int(pid) == os.getpid() or process_alive(int(pid)):
            continue
        instance.report_run_failed(run, message=f"the writing process {pid} is gone (killed or crashed)")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released
