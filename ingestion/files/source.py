"""The dlt source for file imports: walks inputs, stores originals, decodes in isolated workers, and yields
the decoded Arrow tables (columnar, no per-record dicts) plus one ``file_imports`` log row per file.

Tables in ``raw_files`` (dlt normalises names to snake_case):

* ``fit_<message>`` for the FIT message kinds in ``ingestion.files.fit.TYPED_MESSAGES`` (``fit_record``,
  ``fit_session``, ``fit_lap``, ``fit_event``, ``fit_device_info``, ``fit_hrv``, ``fit_length``,
  ``fit_monitoring``, ``fit_sleep_level``, ``fit_stress_level``, ``fit_hrv_status_summary``,
  ``fit_weight_scale``, ``fit_field_description`` ...), ``fit_other_message`` (every other kind, including
  manufacturer-specific unknown messages, one JSON object per message), ``gpx_<table>``, ``tcx_<table>``;
  every row carries ``file_sha256``, ``parser``, ``parser_version`` and ``row_index`` (order in its file);
* ``file_imports``: sha256, original_name, source_archive, format, status
  (imported | partial | duplicate | quarantined), reason, parser, parser_version, size_bytes, records,
  counts (JSON: rows per table), nulled (JSON: impossible values nulled), metadata (JSON: e.g. the Strava
  export's name/gear/commute), warnings, imported_at.

Duplicates: a file whose sha256 is already logged as imported/partial (or seen earlier in the same run) is
not decoded again; seen earlier in the run it is logged as ``duplicate`` (or ``quarantined`` when the first
copy was quarantined), already in the warehouse it is only reported (re-import leaves the warehouse
unchanged). Quarantined files are retried on re-import.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dlt
import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.normalizers.naming.snake_case import NamingConvention as SnakeCaseNaming

from ingestion.blobstore import BlobStore
from ingestion.files.archives import ArchiveLimits, Candidate, InputWalker
from ingestion.files.model import DecodedFile
from ingestion.files.workers import DEFAULT_MEMORY_LIMIT_MB, DEFAULT_TIMEOUT_S, DecodeJob, IsolatedDecoder
from openfit.settings import Settings, get_settings

DATASET = "raw_files"
LOG_TABLE = "file_imports"
# The log is loaded as Arrow with this schema, so its columns exist with their types even when a batch
# leaves one empty (no archive, no reason).
LOG_SCHEMA = pa.schema(
    [
        ("sha256", pa.string()),
        ("original_name", pa.string()),
        ("source_archive", pa.string()),
        ("format", pa.string()),
        ("status", pa.string()),
        ("reason", pa.string()),
        ("parser", pa.string()),
        ("parser_version", pa.string()),
        ("size_bytes", pa.int64()),
        ("records", pa.int64()),
        ("counts", pa.string()),
        ("nulled", pa.string()),
        ("metadata", pa.string()),
        ("warnings", pa.string()),
        ("imported_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass
class FileOutcome:
    sha256: str | None
    original_name: str
    source_archive: str | None
    status: str  # imported | partial | duplicate | quarantined
    reason: str | None
    format: str = ""
    parser: str = ""
    parser_version: str = ""
    size_bytes: int = 0
    records: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    nulled: dict[str, int] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def log_row(self, imported_at: datetime) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "original_name": self.original_name,
            "source_archive": self.source_archive,
            "format": self.format,
            "status": self.status,
            "reason": self.reason,
            "parser": self.parser,
            "parser_version": self.parser_version,
            "size_bytes": self.size_bytes,
            "records": self.records,
            "counts": json.dumps(self.counts, sort_keys=True),
            "nulled": json.dumps(self.nulled, sort_keys=True),
            "metadata": json.dumps(self.metadata, sort_keys=True, default=str),
            "warnings": json.dumps(self.warnings),
            "imported_at": imported_at,
        }


@dataclass
class ImportProgress:
    files_done: int
    files_total: int
    bytes_done: int
    records_done: int
    elapsed_s: float


@dataclass
class ImportSummary:
    outcomes: list[FileOutcome] = field(default_factory=list)
    skipped: int = 0  # names inside folders/archives that are not fitness files
    elapsed_s: float = 0.0
    finished_packages: int = 0  # load packages of an interrupted import, loaded before this one

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def imported(self) -> int:
        return self.count("imported")

    @property
    def partial(self) -> int:
        return self.count("partial")

    @property
    def duplicate(self) -> int:
        return self.count("duplicate")

    @property
    def quarantined(self) -> int:
        return self.count("quarantined")

    @property
    def records(self) -> int:
        return sum(o.records for o in self.outcomes)

    @property
    def bytes(self) -> int:
        return sum(o.size_bytes for o in self.outcomes if o.status in ("imported", "partial"))

    def top_reasons(self, limit: int = 5) -> list[tuple[str, int]]:
        """Most frequent quarantine/partial reasons (byte offsets and numbers folded together)."""
        import re

        tally: dict[str, int] = {}
        for outcome in self.outcomes:
            if outcome.status in ("quarantined", "partial") and outcome.reason:
                key = re.sub(r"\d+", "N", outcome.reason.split(";")[0])[:160]
                tally[key] = tally.get(key, 0) + 1
        return sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

    @property
    def exit_code(self) -> int:
        """0: every file imported, partial or duplicate; 3: some quarantined. (A failed run raises.)"""
        return 3 if self.quarantined else 0


def _with_row_index(table: pa.Table) -> pa.Table:
    if "row_index" in table.column_names:
        return table
    return table.append_column("row_index", pa.array(np.arange(table.num_rows, dtype=np.int64)))


def _repeated(values: list[str], counts: list[int]) -> pa.Array:
    """values[i] repeated counts[i] times, built in Arrow (no per-row Python objects)."""
    indices = pa.array(np.repeat(np.arange(len(values), dtype=np.int32), counts))
    return pa.DictionaryArray.from_arrays(indices, pa.array(values, pa.string())).cast(pa.string())


class _TypeReconciler:
    """Keeps each column's type stable across files so one odd file cannot fail the load.

    The first type seen (or the destination's) wins; integers widen to float, anything casts to text when the
    column is text; otherwise the value goes to a variant column ``<name>__v_<type>`` (dlt's convention).
    """

    def __init__(self, known: dict[str, dict[str, pa.DataType]]) -> None:
        self.known = known  # keyed by dlt-normalised table and column names (as in the warehouse)
        self.naming = SnakeCaseNaming()

    def __call__(self, table_name: str, table: pa.Table) -> pa.Table:
        known = self.known.setdefault(self.naming.normalize_table_identifier(table_name), {})
        names, arrays = [], []
        for name, column in zip(table.column_names, table.columns, strict=True):
            if pa.types.is_null(column.type):
                continue  # an all-null column carries nothing and has no type to give
            key = self.naming.normalize_identifier(name)
            target = known.get(key)
            if target is None or target == column.type:
                known.setdefault(key, column.type)
                names.append(name)
                arrays.append(column)
                continue
            converted = self._convert(column, target)
            if converted is not None:
                names.append(name)
                arrays.append(converted)
                continue
            variant = f"{name}__v_{_type_label(column.type)}"
            variant_key = self.naming.normalize_identifier(variant)
            known.setdefault(variant_key, column.type)
            if known[variant_key] == column.type:
                names.append(variant)
                arrays.append(column)
        return pa.table(arrays, names=names) if names else table.select([])

    @staticmethod
    def _convert(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray | None:
        source = column.type
        try:
            if pa.types.is_floating(target) and (pa.types.is_integer(source) or pa.types.is_floating(source)):
                return pc.cast(column, target)
            if pa.types.is_integer(target) and pa.types.is_integer(source):
                return pc.cast(column, target)
            if pa.types.is_string(target):
                if pa.types.is_list(source) or pa.types.is_struct(source):
                    return pa.chunked_array(
                        [
                            pa.array(
                                [None if v is None else json.dumps(v) for v in column.to_pylist()],
                                pa.string(),
                            )
                        ]
                    )
                return pc.cast(column, target)
            if pa.types.is_list(target) and pa.types.is_list(source):
                return pc.cast(column, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            return None
        return None


def _type_label(data_type: pa.DataType) -> str:
    if pa.types.is_integer(data_type):
        return "bigint"
    if pa.types.is_floating(data_type):
        return "double"
    if pa.types.is_string(data_type):
        return "text"
    if pa.types.is_timestamp(data_type):
        return "timestamp"
    if pa.types.is_boolean(data_type):
        return "bool"
    return "json"


class _TableBuffer:
    """Collects many small per-file tables into few large items: dlt's per-item cost, not the data, dominated."""

    def __init__(self, max_rows: int = 250_000) -> None:
        self.max_rows = max_rows
        self.tables: dict[str, list[tuple[pa.Table, tuple[str, str, str]]]] = {}
        self.rows = 0

    def add(self, name: str, table: pa.Table, provenance: tuple[str, str, str]) -> Iterator[Any]:
        """`provenance`: (file sha256, parser, parser version) of every row of `table`."""
        self.tables.setdefault(name, []).append((table, provenance))
        self.rows += table.num_rows
        if self.rows >= self.max_rows:
            yield from self.flush()

    def flush(self) -> Iterator[Any]:
        for name, parts in self.tables.items():
            tables = [table for table, _ in parts]
            merged = tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")
            counts = [table.num_rows for table in tables]
            for position, column in enumerate(("file_sha256", "parser", "parser_version")):
                merged = merged.append_column(column, _repeated([p[position] for _, p in parts], counts))
            yield dlt.mark.with_table_name(merged, name)
        self.tables = {}
        self.rows = 0


_DUCKDB_TO_ARROW = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
}


@dataclass
class WarehouseState:
    """What ``raw_files`` already holds: file hashes (imported/partial) and column types per table."""

    hashes: set[str] = field(default_factory=set)
    types: dict[str, dict[str, pa.DataType]] = field(default_factory=dict)


def warehouse_state(settings: Settings) -> WarehouseState:
    """Read from the writer's DuckDB file (empty on a fresh home)."""
    state = WarehouseState()
    path = settings.warehouse_path
    if not path.exists():
        return state
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException:
        # this process already holds the file read-write (DuckDB then refuses a read-only handle)
        connection = duckdb.connect(str(path))
    try:
        for table, column, data_type in connection.execute(
            "select table_name, column_name, data_type from information_schema.columns where table_schema = ?",
            [DATASET],
        ).fetchall():
            arrow_type = _DUCKDB_TO_ARROW.get(data_type)
            if arrow_type is not None:
                state.types.setdefault(table, {})[column] = arrow_type
        if LOG_TABLE in state.types:
            rows = connection.execute(
                f"select distinct sha256 from {DATASET}.{LOG_TABLE} "
                "where status in ('imported', 'partial') and sha256 is not null"
            ).fetchall()
            state.hashes = {row[0] for row in rows}
    finally:
        connection.close()
    return state


def decoder_log_path(settings: Settings) -> Path:
    """Where the decoder workers' standard error goes (native decoder panics with their backtraces)."""
    return settings.home_dir / "logs" / "decoder.log"


def _normalised_table_name(fmt: str, kind: str) -> str:
    return f"{fmt}_{kind}".lower()


@dlt.source(name="files", max_table_nesting=0)
def files_source(
    paths: list[str] | None = None,
    settings: Settings | None = None,
    state: WarehouseState | None = None,
    summary: ImportSummary | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
    workers: int | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
    limits: ArchiveLimits | None = None,
    pool: IsolatedDecoder | None = None,
):
    """Import `paths` (default: the inbox folder). `state`: what the warehouse holds (read from it when not
    given); `pool`: an already started decoder pool (the caller closes it), else one is started here."""
    settings = settings or get_settings()
    inputs = [str(p) for p in paths] if paths is not None else [str(settings.inbox_dir)]
    summary = summary if summary is not None else ImportSummary()
    # Files of one table differ in columns (a device writes fields another does not): let dlt merge their
    # Arrow schemas losslessly instead of refusing (types are reconciled below).
    os.environ.setdefault("DATA_WRITER__ARROW_CONCAT_PROMOTE_OPTIONS", "default")

    @dlt.resource(name="files", write_disposition="append")
    def files() -> Iterator[Any]:
        started = time.monotonic()
        imported_at = datetime.now(UTC)
        current = state if state is not None else warehouse_state(settings)
        already = set(current.hashes)
        reconcile = _TypeReconciler({table: dict(columns) for table, columns in current.types.items()})
        store = BlobStore(settings.blob_dir)
        walker = InputWalker(store, limits)
        candidates = [c for p in inputs if Path(p).exists() or paths is not None for c in walker.walk([p])]
        summary.skipped += walker.stats.skipped

        outcomes: list[tuple[Candidate, FileOutcome]] = []
        to_decode: dict[str, Candidate] = {}
        copies: dict[str, list[Candidate]] = {}  # later candidates with the content of one in to_decode
        for candidate in candidates:
            if candidate.refused or candidate.sha256 is None:
                outcome = FileOutcome(
                    None,
                    candidate.original_name,
                    candidate.source_archive,
                    "quarantined",
                    candidate.refused,
                    size_bytes=candidate.size,
                    metadata=candidate.metadata,
                )
            elif candidate.sha256 in already:
                outcome = FileOutcome(
                    candidate.sha256,
                    candidate.original_name,
                    candidate.source_archive,
                    "duplicate",
                    "already imported (same sha256)",
                    size_bytes=candidate.size,
                    metadata=candidate.metadata,
                )
                summary.outcomes.append(outcome)
                continue  # the warehouse is left unchanged
            elif candidate.sha256 in to_decode:
                # its outcome follows the first copy's decode: a copy of a quarantined file is quarantined too
                copies.setdefault(candidate.sha256, []).append(candidate)
                continue
            else:
                to_decode[candidate.sha256] = candidate
                continue
            outcomes.append((candidate, outcome))

        log_rows = []
        for _, outcome in outcomes:
            summary.outcomes.append(outcome)
            log_rows.append(outcome.log_row(imported_at))
        buffer = _TableBuffer()

        total = len(candidates)
        done = len(candidates) - len(to_decode)
        bytes_done = records_done = 0
        jobs = [DecodeJob(sha, str(store.path_for(sha)), c.original_name) for sha, c in to_decode.items()]
        own_pool = pool is None
        decoder = (
            IsolatedDecoder(workers, timeout_s, memory_limit_mb, decoder_log_path(settings))
            if own_pool
            else pool
        )
        try:
            for job, decoded in decoder.decode(jobs):
                candidate = to_decode[job.key]
                if decoded.format == "apple_health":
                    # exports are cumulative: load only what earlier exports did not bring
                    from ingestion.files.apple_health_reimport import keep_new_rows

                    keep_new_rows(decoded, settings.warehouse_path)
                elif decoded.format == "fitbit":
                    # a changed file of a newer cumulative Takeout: load only rows not already loaded
                    from ingestion.files.fitbit_reimport import keep_new_rows as keep_new_fitbit_rows

                    keep_new_fitbit_rows(decoded, settings.warehouse_path)
                elif decoded.format == "gadgetbridge":
                    # each export is the whole database again: load only rows earlier exports did not bring
                    from ingestion.files.gadgetbridge_reimport import (
                        keep_new_rows as keep_new_gadgetbridge_rows,
                    )

                    keep_new_gadgetbridge_rows(decoded, settings.warehouse_path)
                elif decoded.format == "health_connect":
                    # each export is the whole store again: load only records earlier exports did not bring
                    from ingestion.files.health_connect_reimport import keep_new_rows as keep_new_hc_rows

                    keep_new_hc_rows(decoded, settings.warehouse_path)
                outcome = _outcome(candidate, decoded)
                if decoded.status != "quarantined":
                    for kind, table in decoded.tables.items():
                        name = _normalised_table_name(decoded.format, kind)
                        table = reconcile(name, _with_row_index(table))
                        if table.num_columns:
                            provenance = (job.key, decoded.parser, decoded.parser_version)
                            yield from buffer.add(name, table, provenance)
                copy_outcomes = [_copy_outcome(c, candidate, decoded) for c in copies.get(job.key, [])]
                for logged in (outcome, *copy_outcomes):
                    summary.outcomes.append(logged)
                    log_rows.append(logged.log_row(imported_at))
                done += 1
                bytes_done += candidate.size
                records_done += outcome.records
                if progress is not None:
                    progress(
                        ImportProgress(done, total, bytes_done, records_done, time.monotonic() - started)
                    )
        finally:
            if own_pool:
                decoder.close()
        yield from buffer.flush()
        if log_rows:
            yield dlt.mark.with_table_name(pa.Table.from_pylist(log_rows, schema=LOG_SCHEMA), LOG_TABLE)

    return files


def _copy_outcome(later: Candidate, first: Candidate, decoded: DecodedFile) -> FileOutcome:
    """A `later` file with the content of `first` in one run: not decoded again. It is a ``duplicate`` of a
    loaded file, or a quarantined copy of a quarantined one (counted as quarantined: the exit code says so)."""
    if decoded.status == "quarantined":
        status, reason = "quarantined", f"copy of {first.original_name}, quarantined: {decoded.reason}"
    else:
        status, reason = "duplicate", f"same content as {first.original_name}"
    return FileOutcome(
        later.sha256,
        later.original_name,
        later.source_archive,
        status,
        reason,
        format=decoded.format,
        size_bytes=later.size,
        metadata=later.metadata,
    )


def _outcome(candidate: Candidate, decoded: DecodedFile) -> FileOutcome:
    return FileOutcome(
        sha256=candidate.sha256,
        original_name=candidate.original_name,
        source_archive=candidate.source_archive,
        status=decoded.status,
        reason=decoded.reason,
        format=decoded.format,
        parser=decoded.parser,
        parser_version=decoded.parser_version,
        size_bytes=candidate.size,
        records=decoded.record_count,
        counts=decoded.counts(),
        nulled=dict(decoded.nulled),
        metadata=dict(candidate.metadata),
        warnings=list(decoded.warnings),
    )
