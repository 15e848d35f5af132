"""The account export: a ZIP, streamed, of every openfit table filtered to the caller's athletes.

Layout:
    openfit/<table>.jsonl      one JSON object per row (ISO 8601 UTC times)
    openfit/<table>.parquet    the same rows with their DuckDB types
    openfit/file_imports.parquet  the file-import log (status, reason, parser per imported file)
    originals/<sha256>         stored original files (blob store): those recordings name and every imported file
    raw/<provider>/<table>.parquet  the provider payloads as loaded (raw layer), the caller's athletes' rows
    raw/<provider>/<table>.jsonl    the same for payload tables: key columns plus `payload`, the vendor's JSON
                                    document byte for byte as stored
    manifest.json              format, schema version, athletes, snapshot build time, and per file sha256/bytes/rows
The manifest comes last, so its checksums cover everything before it. `import_export` verifies and loads one.

The openfit tables come from one snapshot generation (one cursor), so a publish in the middle cannot mix
versions; the payloads come from serving/raw_payloads.duckdb, which the publisher swaps in just before the
snapshot (orchestration/publish.py), read through one cursor as well. Readers never open the warehouse.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from query.reads import OPENFIT_TABLES, blob_sha_of_recording
from query.scope import AthleteScope
from query.snapshot import RAW_ATHLETE_COLUMN, Cursor, SnapshotReader, SnapshotUnavailable
from query.values import json_safe

EXPORT_FORMAT = "openfit-export/1"
SCHEMA_VERSION = "openfit/unknown"  # replaced by openfit.spec_info.spec_version when the snapshot has it
BATCH_ROWS = 10_000
# Rows per Parquet row group, and so per batch held in memory: pyarrow's default row-group size. Smaller groups
# compress worse (measured on the demo home's full export: 10k rows +22 % archive size, 262k rows +12 %).
PARQUET_BATCH_ROWS = 1_048_576
_SHA256 = re.compile(r"[0-9a-f]{64}")


class _Sink:
    """A write-only byte buffer zipfile streams into (no tell/seek, so zipfile writes data descriptors)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        """Part of the file interface zipfile expects; it never closes a file object it was given."""

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _table_filter(cur: Cursor, table: str, scope: AthleteScope) -> tuple[str, list]:
    if scope.is_admin:
        return "TRUE", []
    ids = [list(scope.athlete_ids or ())]
    columns = cur.columns("openfit", table)
    allowed = "list_contains(?, CAST(athlete_id AS VARCHAR))"
    if "athlete_id" in columns:
        return allowed, ids
    if "activity_id" in columns:
        return f"activity_id IN (SELECT activity_id FROM openfit.activities WHERE {allowed})", ids
    if "sleep_id" in columns:
        return f"sleep_id IN (SELECT sleep_id FROM openfit.sleep_sessions WHERE {allowed})", ids
    return "FALSE", []  # cannot be scoped: leave it out rather than leak


class _HashingWriter:
    """A write-only file around an archive member that hashes and counts what goes through it."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.sha = hashlib.sha256()
        self.size = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        self.handle.write(data)
        self.sha.update(data)
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def _write_parquet(
    conn, query: str, params: list, zf: zipfile.ZipFile, path: str, files: list[dict], sink: _Sink
) -> Iterator[bytes]:
    """The query's rows as Parquet (types kept), written batch by batch into the archive: memory holds one
    batch, not the table (an account can hold hundreds of millions of samples)."""
    batches = conn.execute(query, params).to_arrow_reader(PARQUET_BATCH_ROWS)
    rows = 0
    with zf.open(path, "w", force_zip64=True) as handle:
        out = _HashingWriter(handle)
        with pq.ParquetWriter(out, batches.schema) as writer:
            for batch in batches:
                writer.write_batch(batch)
                rows += batch.num_rows
                yield sink.drain()
    files.append({"path": path, "sha256": out.sha.hexdigest(), "bytes": out.size, "rows": rows})
    yield sink.drain()


def _write_jsonl(
    conn,
    query: str,
    params: list,
    zf: zipfile.ZipFile,
    path: str,
    files: list[dict],
    sink: _Sink,
    verbatim: str | None = None,
) -> Iterator[bytes]:
    """One JSON object per row (ISO 8601 UTC times), in batches. `verbatim` names a JSON text column written
    as stored (the provider's document), not re-serialised."""
    result = conn.execute(query, params)
    names = [d[0] for d in result.description]
    keys = [i for i, name in enumerate(names) if name != verbatim]
    document = names.index(verbatim) if verbatim in names else None
    rows = 0
    with zf.open(path, "w", force_zip64=True) as handle:
        out = _HashingWriter(handle)
        while batch := result.fetchmany(BATCH_ROWS):
            lines = []
            for row in batch:
                line = json.dumps({names[i]: json_safe(row[i]) for i in keys})
                if document is not None:
                    value = row[document]
                    text = value if isinstance(value, str) else json.dumps(json_safe(value))
                    line = f'{line[:-1]}, "{verbatim}": {text}}}'
                lines.append(line + "\n")
            out.write("".join(lines).encode("utf-8"))
            rows += len(batch)
            yield sink.drain()
    files.append({"path": path, "sha256": out.sha.hexdigest(), "bytes": out.size, "rows": rows})


def _write_raw_payloads(
    raw_reader: SnapshotReader, scope: AthleteScope, zf: zipfile.ZipFile, files: list[dict], sink: _Sink
) -> Iterator[bytes]:
    """raw/<provider>/<table>.parquet (+ .jsonl for payload tables), only the caller's athletes' rows. Rows the
    publisher could not attribute to an athlete go to admin keys only."""
    with raw_reader.cursor() as raw:
        for schema, table in sorted(raw.tables):
            columns = raw.columns(schema, table)
            if schema == "meta" or RAW_ATHLETE_COLUMN not in columns:
                continue
            where, params = (
                ("TRUE", [])
                if scope.is_admin
                else (f"list_contains(?, {RAW_ATHLETE_COLUMN})", [list(scope.athlete_ids or ())])
            )
            query = f'SELECT * FROM "{schema}"."{table}" WHERE {where}'
            path = f"raw/{schema}/{table}"
            yield from _write_parquet(raw.conn, query, params, zf, f"{path}.parquet", files, sink)
            if "payload" in columns:
                yield from _write_jsonl(
                    raw.conn, query, params, zf, f"{path}.jsonl", files, sink, verbatim="payload"
                )


def stream_export(
    reader: SnapshotReader, scope: AthleteScope, blob_dir: Path, raw_reader: SnapshotReader | None = None
) -> Iterator[bytes]:
    """Yields the ZIP in chunks. Generator: the snapshot cursor stays open until the last chunk.
    `raw_reader` reads serving/raw_payloads.duckdb; None (or no such file yet) = no provider payloads."""
    sink = _Sink()
    files: list[dict] = []
    with reader.cursor() as cur, zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        athletes_where, athletes_params = _table_filter(cur, "athletes", scope)
        athletes = (
            [
                r["a"]
                for r in cur.rows(
                    f"SELECT CAST(athlete_id AS VARCHAR) AS a FROM openfit.athletes WHERE {athletes_where} ORDER BY 1",
                    athletes_params,
                )
            ]
            if cur.has_table("openfit", "athletes")
            else []
        )
        blob_shas: set[str] = set()
        for table in OPENFIT_TABLES:
            if not cur.has_table("openfit", table):
                continue
            where, params = _table_filter(cur, table, scope)
            query = f"SELECT * FROM openfit.{table} WHERE {where}"
            yield from _write_jsonl(cur.conn, query, params, zf, f"openfit/{table}.jsonl", files, sink)
            yield from _write_parquet(cur.conn, query, params, zf, f"openfit/{table}.parquet", files, sink)
            if table == "activity_recordings":
                sha_column = next((c for c in cur.columns("openfit", table) if c.endswith("sha256")), None)
                stored = f'CAST("{sha_column}" AS VARCHAR)' if sha_column else "NULL"
                for recording_id, sha in cur.conn.execute(
                    f"SELECT CAST(recording_id AS VARCHAR), {stored} FROM openfit.{table} WHERE {where}",
                    params,
                ).fetchall():
                    if found := blob_sha_of_recording(recording_id, sha):
                        blob_shas.add(found)
        if cur.has_table("openfit", "file_imports"):
            # The file-import log, and through it every original file of the caller's (not only activities).
            where, params = _table_filter(cur, "file_imports", scope)
            query = f"SELECT * FROM openfit.file_imports WHERE {where}"
            yield from _write_parquet(
                cur.conn, query, params, zf, "openfit/file_imports.parquet", files, sink
            )
            blob_shas.update(
                sha
                for (sha,) in cur.conn.execute(
                    f"SELECT CAST(sha256 AS VARCHAR) FROM openfit.file_imports WHERE {where}", params
                ).fetchall()
                if sha
            )
        missing_originals = []
        for sha in sorted(blob_shas):
            blob = blob_dir / sha[:2] / sha
            if not _SHA256.fullmatch(sha) or not blob.is_file():
                missing_originals.append(sha)  # named by the snapshot but not in this home's blob store
                continue
            data = blob.read_bytes()
            zf.writestr(f"originals/{sha}", data)
            files.append(
                {
                    "path": f"originals/{sha}",
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "bytes": len(data),
                    "rows": None,
                }
            )
            yield sink.drain()
        raw_payloads = "none published"
        if raw_reader is not None:
            try:
                yield from _write_raw_payloads(raw_reader, scope, zf, files, sink)
                raw_payloads = "included"
            except SnapshotUnavailable:
                pass  # nothing published yet: an export from a home without providers
        built_at = None
        if cur.has_table("meta", "build_info"):
            row = cur.one("SELECT max(built_at)::TIMESTAMPTZ AS t FROM meta.build_info")
            built_at = json_safe(row["t"]) if row else None
        schema_version = SCHEMA_VERSION
        if "spec_version" in cur.columns("openfit", "spec_info"):
            row = cur.one("SELECT CAST(spec_version AS VARCHAR) AS v FROM openfit.spec_info LIMIT 1")
            if row and row["v"]:
                schema_version = f"openfit/{row['v']}"
        manifest = {
            "format": EXPORT_FORMAT,
            "schema_version": schema_version,
            "created_at": json_safe(datetime.now(UTC)),
            "snapshot_built_at": built_at,
            "athletes": athletes,
            "raw_payloads": raw_payloads,
            "missing_originals": missing_originals,
            "files": files,
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
    yield sink.drain()


class ExportInvalid(ValueError):
    """The archive is not a complete, intact OpenFit export."""


def verify_export(zip_path: Path) -> dict:
    """Checks every file against the manifest (and that nothing is missing); returns the manifest."""
    with zipfile.ZipFile(zip_path) as zf:
        try:
            manifest = json.loads(zf.read("manifest.json"))
        except KeyError as exc:
            raise ExportInvalid("manifest.json is missing") from exc
        if manifest.get("format") != EXPORT_FORMAT:
            raise ExportInvalid(f"unknown export format {manifest.get('format')!r}")
        for entry in manifest["files"]:
            digest = hashlib.sha256()
            try:
                with zf.open(entry["path"]) as member:  # in chunks: a member can be gigabytes
                    while chunk := member.read(1 << 20):
                        digest.update(chunk)
            except KeyError as exc:
                raise ExportInvalid(f"{entry['path']} is listed in the manifest but missing") from exc
            if digest.hexdigest() != entry["sha256"]:
                raise ExportInvalid(f"{entry['path']}: checksum mismatch")
    return manifest


def import_export(zip_path: Path, database: Path) -> dict[str, int]:
    """Verifies an export and loads its Parquet tables into a DuckDB file (schema `openfit`, and `raw_<provider>`
    for the payloads, as in the warehouse); returns row counts by `schema.table` (openfit tables by name)."""
    manifest = verify_export(zip_path)
    counts: dict[str, int] = {}
    conn = duckdb.connect(str(database))
    try:
        conn.execute("CREATE SCHEMA IF NOT EXISTS openfit")
        with zipfile.ZipFile(zip_path) as zf:
            for entry in manifest["files"]:
                path = entry["path"]
                if not path.endswith(".parquet"):
                    continue
                parts = path.removesuffix(".parquet").split("/")
                if parts[0] == "openfit" and len(parts) == 2:
                    schema, table, name = "openfit", parts[1], parts[1]
                elif parts[0] == "raw" and len(parts) == 3:
                    schema, table = f"raw_{parts[1]}", parts[2]
                    name = f"{schema}.{table}"
                else:
                    continue
                arrow: pa.Table = pq.read_table(io.BytesIO(zf.read(path)))
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                conn.register("incoming", arrow)
                conn.execute(f'CREATE OR REPLACE TABLE "{schema}"."{table}" AS SELECT * FROM incoming')
                conn.unregister("incoming")
                counts[name] = arrow.num_rows
    finally:
        conn.close()
    return counts
