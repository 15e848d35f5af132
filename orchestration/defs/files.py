"""Files into the warehouse, always through Dagster: the raw_files asset, the import jobs and the inbox sensor.

The raw_files asset imports the paths its run config names (`openfit import PATH...`), else the inbox
(``$OPENFIT_HOME/inbox``; the sensor). The import job is "raw_files, then every dbt model and the publish
step" (other providers' extracts are left to the schedule); the raw-only job loads without building
(`openfit import --no-build`). Re-importing a file already loaded is a no-op (sha256 dedup), so the inbox need
not be emptied.
"""

# No `from __future__ import annotations`: Dagster reads the asset's config annotation at definition time.

import hashlib
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource, dlt_assets

from ingestion.files.importer import LOADER_FILE_FORMAT, import_session
from ingestion.files.source import ImportProgress, ImportSummary
from ingestion.files.workers import DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIMEOUT_S
from ingestion.pipelines import provider_pipeline
from ingestion.registry import Provider
from openfit.settings import get_settings
from orchestration.defs.ingest import RawLayerTranslator
from orchestration.instance import WRITER_POOL

INBOX_JOB = "import_inbox"  # raw_files (the paths of its config, else the inbox), then transform and publish
RAW_FILES_JOB = "import_files_raw_only"  # raw_files alone (`openfit import --no-build`)
INBOX_SENSOR = "inbox_sensor"
FILES_RAW_PREFIX = "raw_files"
# Long enough that a big archive being copied in is usually complete before the next look; a file still
# growing changes the fingerprint, so it is imported again (as a no-op or the full file) on the next tick.
MIN_INTERVAL_S = 30


def inbox_fingerprint(inbox: Path) -> str:
    """A digest of every file's relative name, size and mtime (empty string for an empty/missing inbox)."""
    if not inbox.is_dir():
        return ""
    entries = sorted(
        f"{path.relative_to(inbox).as_posix()}\t{stat.st_size}\t{stat.st_mtime_ns}"
        for path in inbox.rglob("*")
        if path.is_file() and not path.name.startswith(".") and (stat := path.stat())
    )
    if not entries:
        return ""
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


class FilesImportConfig(dg.Config):
    """What `openfit import` passes to the raw_files asset; the defaults import the inbox."""

    paths: list[str] | None = None  # files, folders, archives; None: the inbox
    workers: int | None = None  # decoder processes (default: one per core)
    timeout_s: float = DEFAULT_TIMEOUT_S  # per-file decode time limit
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB  # per-file decoder memory limit


@dataclass
class ImportHandoff:
    """In-process handoff to `openfit import`, which runs the job in its own thread (orchestration.build.run_build):
    the live decoding progress it draws, and the summary of what happened to every file (None until the
    raw_files step has run). A run launched by the daemon has none; its outcome is the file-import log
    (openfit.file_imports, Data health)."""

    progress: Callable[[ImportProgress], None] | None = None
    summary: ImportSummary | None = None


import_handoff: ContextVar[ImportHandoff | None] = ContextVar("import_handoff", default=None)


def files_assets(provider: Provider) -> dg.AssetsDefinition:
    translator = RawLayerTranslator(provider)
    settings = get_settings()

    @dlt_assets(
        dlt_source=provider.dlt_source(),
        dlt_pipeline=provider_pipeline(provider.name, settings),
        name=f"raw_{provider.name}",
        dagster_dlt_translator=translator,
        pool=WRITER_POOL,
    )
    def _assets(context: AssetExecutionContext, dlt: DagsterDltResource, config: FilesImportConfig):
        handoff = import_handoff.get()
        with import_session(
            config.paths,
            get_settings(),
            progress=handoff.progress if handoff else None,
            workers=config.workers,
            timeout_s=config.timeout_s,
            memory_limit_mb=config.memory_limit_mb,
        ) as session:
            if session.summary.finished_packages:
                context.log.info(
                    "files: finished %d load package(s) an interrupted import left",
                    session.summary.finished_packages,
                )
            yield from dlt.run(
                context=context,
                dlt_source=session.source,
                dlt_pipeline=session.pipeline,
                dagster_dlt_translator=translator,
                loader_file_format=LOADER_FILE_FORMAT,
            )
        summary = session.summary
        if handoff is not None:
            handoff.summary = summary
        context.log.info(
            "files: %d imported, %d partial, %d duplicate, %d quarantined, %d skipped; %d records",
            summary.imported,
            summary.partial,
            summary.duplicate,
            summary.quarantined,
            summary.skipped,
            summary.records,
        )

    return _assets


def raw_files_job() -> "dg.UnresolvedAssetJobDefinition":
    return dg.define_asset_job(
        RAW_FILES_JOB,
        selection=dg.AssetSelection.key_prefixes(FILES_RAW_PREFIX),
        description="Import files into raw_files only (no transform, no publish).",
    )


def inbox_job() -> "dg.UnresolvedAssetJobDefinition":
    # API providers' assets sit in their own groups (tagged openfit/layer=raw): left out as well
    raw_layer = dg.AssetSelection.groups("raw") | dg.AssetSelection.tag("openfit/layer", "raw")
    other_extracts = raw_layer - dg.AssetSelection.key_prefixes(FILES_RAW_PREFIX)
    return dg.define_asset_job(
        INBOX_JOB,
        selection=dg.AssetSelection.all() - other_extracts,
        description="Import the files in $OPENFIT_HOME/inbox, rebuild the OpenFit schema and marts, publish.",
    )


def build_inbox_sensor(job: "dg.UnresolvedAssetJobDefinition") -> dg.SensorDefinition:
    @dg.sensor(
        name=INBOX_SENSOR,
        job=job,
        minimum_interval_seconds=MIN_INTERVAL_S,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Imports new or changed files dropped into $OPENFIT_HOME/inbox.",
    )
    def _inbox_sensor(context: dg.SensorEvaluationContext):
        fingerprint = inbox_fingerprint(get_settings().inbox_dir)
        if not fingerprint or fingerprint == context.cursor:
            return dg.SkipReason("no new files in the inbox")
        context.update_cursor(fingerprint)
        return dg.RunRequest(run_key=f"inbox-{fingerprint[:16]}")

    return _inbox_sensor
