"""Run the refresh job in-process through Dagster, with live progress and a report (CLI, tests, benchmarks)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from openfit.progress import ProgressFile
from openfit.settings import Settings, get_settings, record_in_home_file
from orchestration.instance import prepare_instance, release_dead_writers, writer_tags

# Stage of each step, from the step key's op name (raw_<provider>, openfit_dbt, serving__openfit_snapshot,
# serving__data_docs).
STAGES = ("ingest", "transform", "publish")


def stage_of(step_key: str) -> str:
    if step_key.startswith("raw_"):
        return "ingest"
    if "snapshot" in step_key or step_key.startswith("serving__"):  # the snapshot, then the data docs
        return "publish"
    return "transform"


@dataclass
class BuildReport:
    success: bool
    run_id: str
    seconds_total: float
    seconds_by_stage: dict[str, float] = field(default_factory=dict)
    failure: str | None = None  # one line: which step failed and why


ProgressFn = Callable[[str, str], None]  # (stage, message)


class _ProgressHandler(logging.Handler):
    def __init__(self, on_progress: ProgressFn, starts: dict[str, float], durations: dict[str, float]):
        super().__init__()
        self.on_progress, self.starts, self.durations = on_progress, starts, durations

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is None or not event.step_key:
            return
        stage = stage_of(event.step_key)
        kind = event.event_type_value
        if kind == "STEP_START":
            self.starts[event.step_key] = time.perf_counter()
            self.on_progress(stage, f"{event.step_key}: started")
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_UP_FOR_RETRY"):
            started = self.starts.pop(event.step_key, None)
            if started is not None:
                self.durations[stage] = self.durations.get(stage, 0.0) + time.perf_counter() - started
            self.on_progress(stage, f"{event.step_key}: {kind.removeprefix('STEP_').lower()}")
        elif kind == "ASSET_MATERIALIZATION":
            self.on_progress(stage, f"materialized {event.asset_key.to_user_string()}")


def _failure_line(result: dg.ExecuteInProcessResult) -> str:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            cause = error
            while cause.cause is not None:  # the innermost cause says what actually went wrong
                cause = cause.cause
            message = (cause.message or error.message).strip().splitlines()
            first = next((line for line in message if line.strip()), "unknown error")
            return f"step {event.step_key} failed: {first.strip()}"
    return "the run failed before any step ran (see the Dagster UI for the run's logs)"


def run_build(
    settings: Settings | None = None,
    on_progress: ProgressFn | None = None,
    instance: dg.DagsterInstance | None = None,
    full: bool = False,
    job_name: str | None = None,
    label: str = "build",
    op_config: dict[str, dict] | None = None,
) -> BuildReport:
    """Materialize everything (raw -> dbt -> publish) in this process. Never raises for a failed run.

    The transform is incremental (only what the new loads change is recomputed) unless `full` asks for a full
    refresh of every table. `job_name` picks another job of the code location (default: refresh_all);
    `op_config` gives ops their config by op name (the raw_files asset's paths for `openfit import`). Progress
    goes to `on_progress` and, for readers, to serving/build_progress.json under `label` (openfit/progress.py)."""
    settings = settings or get_settings()
    # What this build was given by flags or the environment becomes the home's setting, so that the schedule,
    # sensors, imports and `openfit serve` later build the same data (openfit/settings.py).
    record_in_home_file(settings)
    prepare_instance(settings)
    progress_file = ProgressFile(settings, label)
    reported = on_progress or (lambda stage, msg: None)

    def on_step(stage: str, message: str) -> None:
        progress_file.update(stage, message)
        reported(stage, message)

    from orchestration.defs import REFRESH_JOB, build_definitions  # after DAGSTER_HOME is set

    started = time.perf_counter()
    defs = build_definitions()
    job = defs.resolve_job_def(job_name or REFRESH_JOB)
    starts: dict[str, float] = {}
    durations: dict[str, float] = {}
    handler = _ProgressHandler(on_step, starts, durations)

    @dg.logger
    def progress_logger(_init_context):
        log = logging.getLogger("orchestration.build")
        log.setLevel(logging.DEBUG)
        log.propagate = False
        if handler not in log.handlers:
            log.addHandler(handler)
        return log

    job = job.with_logger_defs({"openfit_progress": progress_logger})
    own_instance = instance is None
    instance = instance or dg.DagsterInstance.get()
    run_config: dict = {"loggers": {"openfit_progress": {}}}
    run_config["ops"] = {name: {"config": config} for name, config in (op_config or {}).items()}
    if full:
        run_config["ops"]["openfit_dbt"] = {"config": {"full_refresh": True}}
    for run_id in release_dead_writers(instance):
        logging.getLogger("orchestration.build").warning("released the writer slot of dead run %s", run_id)
    try:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=run_config, tags=writer_tags()
        )
    except BaseException as exc:  # a broken code location: readers must not see "running" for ever
        progress_file.finish(False, f"{type(exc).__name__}")
        raise
    finally:
        logging.getLogger("orchestration.build").removeHandler(handler)
        if own_instance:
            instance.dispose()  # its event log keeps connections open (orchestration/dagster_storage.py)
    report = BuildReport(
        success=result.success,
        run_id=result.run_id,
        seconds_total=time.perf_counter() - started,
        seconds_by_stage={stage: round(durations.get(stage, 0.0), 3) for stage in STAGES},
        failure=None if result.success else _failure_line(result),
    )
    progress_file.finish(report.success, report.failure)
    return report
