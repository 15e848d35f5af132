"""`import_paths`: the one call behind `openfit import PATH...` and the inbox sensor.

Walks the inputs, stores every original once in the blob store, skips what the warehouse already holds
(sha256 against ``raw_files.file_imports``), decodes the rest in isolated workers and loads the Arrow tables
and the import log into ``raw_files`` with dlt (one load package per call).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from ingestion.files.archives import ArchiveLimits
from ingestion.files.source import (
    ImportProgress,
    ImportSummary,
    files_source,
    known_file_hashes,
    known_types_from_schema,
)
from ingestion.files.workers import DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIMEOUT_S, IsolatedDecoder
from ingestion.pipelines import provider_pipeline
from openfit.settings import Settings, get_settings


def import_paths(
    paths: Sequence[str | Path],
    settings: Settings | None = None,
    *,
    progress: Callable[[ImportProgress], None] | None = None,
    workers: int | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
    limits: ArchiveLimits | None = None,
) -> ImportSummary:
    """Import files, folders and archives into ``raw_files``; returns what happened to every file.

    Raises on a failed run (e.g. the warehouse is locked by another writer); bad files never raise.
    """
    settings = settings or get_settings()
    settings.ensure_dirs()
    # Files of one table differ in columns (a device writes fields another does not): let dlt merge the
    # Arrow schemas losslessly instead of refusing (types are already reconciled by the source).
    os.environ.setdefault("DATA_WRITER__ARROW_CONCAT_PROMOTE_OPTIONS", "default")
    started = time.monotonic()
    # Workers boot (forkserver, decoder imports) while dlt sets up and the inputs are walked.
    pool = IsolatedDecoder(workers, timeout_s, memory_limit_mb).start(background=True)
    try:
        summary = _run(paths, settings, pool, progress, limits)
    finally:
        pool.close()
    summary.elapsed_s = time.monotonic() - started
    return summary


def _run(
    paths: Sequence[str | Path],
    settings: Settings,
    pool: IsolatedDecoder,
    progress: Callable[[ImportProgress], None] | None,
    limits: ArchiveLimits | None,
) -> ImportSummary:
    pipeline = provider_pipeline("files", settings)
    try:
        schema = pipeline.default_schema if pipeline.default_schema_name else None
    except Exception:  # no local state yet
        schema = None
    summary = ImportSummary()
    source = files_source(
        paths=[str(p) for p in paths],
        settings=settings,
        known_sha256=known_file_hashes(settings),
        known_types=known_types_from_schema(schema),
        summary=summary,
        progress=progress,
        limits=limits,
        pool=pool,
    )
    pipeline.run(source, loader_file_format="parquet")
    return summary
