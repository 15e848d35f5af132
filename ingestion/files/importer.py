"""`import_paths`: the one call behind `openfit import PATH...` and the inbox sensor.

Walks the inputs, stores every original once in the blob store, skips what the warehouse already holds
(sha256 against ``raw_files.file_imports``), decodes the rest in isolated workers and loads the Arrow tables
and the import log into ``raw_files`` with dlt (one load package per call). A package an interrupted import
left pending is loaded first, in the same call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlt.pipeline.pipeline import Pipeline

from ingestion.files.archives import ArchiveLimits
from ingestion.files.source import (
    ImportProgress,
    ImportSummary,
    decoder_log_path,
    files_source,
    warehouse_state,
)
from ingestion.files.workers import DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIMEOUT_S, IsolatedDecoder
from ingestion.pipelines import finish_pending_loads, provider_pipeline
from openfit.settings import Settings, get_settings


@dataclass
class ImportSession:
    """One import's dlt pipeline, its files source (not yet run) and the summary the source fills in."""

    pipeline: Pipeline
    source: Any
    summary: ImportSummary


@contextmanager
def import_session(
    paths: Sequence[str | Path] | None,
    settings: Settings | None = None,
    *,
    progress: Callable[[ImportProgress], None] | None = None,
    workers: int | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
    limits: ArchiveLimits | None = None,
) -> Iterator[ImportSession]:
    """Prepare an import of `paths` (None: the inbox) for whoever runs it: `import_paths` with dlt directly, the
    raw_files Dagster asset through dagster-dlt. Finishes what an interrupted import left pending first; the
    decoder workers live until the block ends."""
    settings = settings or get_settings()
    settings.ensure_dirs()
    started = time.monotonic()
    # Workers boot (forkserver, decoder imports) while dlt sets up and the inputs are walked.
    pool = IsolatedDecoder(workers, timeout_s, memory_limit_mb, decoder_log_path(settings))
    pool.start(background=True)
    summary = ImportSummary()
    try:
        pipeline = provider_pipeline("files", settings)
        summary.finished_packages = finish_pending_loads(pipeline)
        # read after finishing: the interrupted run's files are then known, and not loaded a second time
        source = files_source(
            paths=None if paths is None else [str(p) for p in paths],
            settings=settings,
            state=warehouse_state(settings),
            summary=summary,
            progress=progress,
            limits=limits,
            pool=pool,
        )
        yield ImportSession(pipeline, source, summary)
    finally:
        pool.close()
        summary.elapsed_s = time.monotonic() - started


def import_paths(
    paths: Sequence[str | Path] | None,
    settings: Settings | None = None,
    **options: Any,
) -> ImportSummary:
    """Import files, folders and archives (None: the inbox) into ``raw_files``; returns what happened to every
    file. Options: see `import_session`. Raises on a failed run (e.g. the warehouse is locked by another
    writer); bad files never raise."""
    with import_session(paths, settings, **options) as session:
        session.pipeline.run(session.source, loader_file_format=LOADER_FILE_FORMAT)
    return session.summary


LOADER_FILE_FORMAT = "parquet"  # the decoders' Arrow tables go to dlt as Parquet
