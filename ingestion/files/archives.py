"""Walk import inputs (files, folders, .gz, zip archives) into candidate files stored in the blob store.

Handles the two bulk exports people actually have:

* Garmin Connect "export all data": ``DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_*.zip`` holding the
  original FIT (and GPX/TCX) uploads: nested zips are opened to a bounded depth.
* Strava bulk export: ``activities.csv`` + ``activities/<id>.fit.gz|.gpx|.tcx``: the CSV row of each file
  (activity id, name, type, date, description, gear, commute) is attached to it as metadata.

Safety: zip members with absolute or ``..`` paths, symlinks and encrypted members are refused; a member or
.gz whose expansion ratio or size is beyond the limits is refused while streaming (the declared sizes in a
zip are not trusted); the total expanded size of one input is capped; nesting is bounded.
Inside folders and archives only fitness-looking names are considered (.fit/.gpx/.tcx, their .gz forms,
nested .zip), plus any XML whose content is an Apple Health export (root ``<HealthData>``, whatever the file
is called: Apple's ``apple_health_export/export.xml``, a renamed copy), the files of a Google Takeout Fitbit
export (``heart_rate-2024-01-31.json``, ``Daily SpO2 - ....csv``: their names' patterns, the decoder checks
their content) and any SQLite database a format of ``sqlite_formats`` recognises by its tables (Gadgetbridge's
``Gadgetbridge``, ``database/Gadgetbridge`` of its zip export; Health Connect's ``health_connect_export.db``);
other members (Garmin's JSON summaries, photos, Apple's ``export_cda.xml``) are counted as skipped, not quarantined. A health export may be
far larger than one activity file (``max_health_export_bytes``).
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from ingestion.blobstore import BlobStore, BlobStoreError
from ingestion.files.decode import SNIFF_BYTES, sniff
from ingestion.files.fitbit import kind_from_name as fitbit_kind_from_name
from ingestion.files.sqlite_formats import looks_like_sqlite, sqlite_format

FITNESS_SUFFIXES = (".fit", ".gpx", ".tcx")


@dataclass(frozen=True)
class ArchiveLimits:
    max_file_bytes: int = 512 * 1024 * 1024  # one expanded file
    max_health_export_bytes: int = 16 * 1024 * 1024 * 1024  # one Apple Health export.xml (1-4 GB seen)
    max_total_bytes: int = 32 * 1024 * 1024 * 1024  # everything expanded from one input
    max_ratio: float = 200.0  # expanded / compressed, checked once a member passes min_ratio_bytes
    min_ratio_bytes: int = 4 * 1024 * 1024
    max_depth: int = 3  # zip inside zip inside zip
    max_members: int = 200_000


@dataclass
class Candidate:
    """A file found in the inputs: stored (sha256 set) or refused (reason set)."""

    original_name: str
    source_archive: str | None
    sha256: str | None = None
    size: int = 0
    refused: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class WalkStats:
    skipped: int = 0  # members/files not fitness-looking
    skipped_examples: list[str] = field(default_factory=list)

    def skip(self, name: str) -> None:
        self.skipped += 1
        if len(self.skipped_examples) < 5:
            self.skipped_examples.append(name)


class LimitExceeded(ValueError):
    pass


class _Budget:
    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.total = 0


class _LimitedReader(io.RawIOBase):
    """Counts what it passes through; refuses beyond the file limit, the ratio limit or the input's budget."""

    def __init__(
        self,
        raw: BinaryIO,
        compressed_size: int | None,
        budget: _Budget,
        what: str,
        max_bytes: int | None = None,
    ) -> None:
        self.raw = raw
        self.compressed_size = compressed_size
        self.budget = budget
        self.what = what
        self.count = 0
        self.max_bytes = budget.limits.max_file_bytes if max_bytes is None else max_bytes

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(1 << 20 if size is None or size < 0 else size)
        self.count += len(chunk)
        self.budget.total += len(chunk)
        limits = self.budget.limits
        if self.count > self.max_bytes:
            raise LimitExceeded(f"refused: {self.what} expands beyond the {self.max_bytes} byte file limit")
        if self.budget.total > limits.max_total_bytes:
            raise LimitExceeded(
                f"refused: input expands beyond the {limits.max_total_bytes} byte total limit"
            )
        if (
            self.compressed_size is not None
            and self.count > limits.min_ratio_bytes
            and self.count > limits.max_ratio * max(self.compressed_size, 1)
        ):
            raise LimitExceeded(
                f"refused: {self.what} expands more than {limits.max_ratio:g}x (zip/gzip bomb protection)"
            )
        return chunk


def _is_fitness_name(name: str) -> bool:
    if fitbit_kind_from_name(name) is not None:
        return True  # a Google Takeout Fitbit file's name; the decoder checks its content
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    return lower.endswith(FITNESS_SUFFIXES)


def _is_zip_name(name: str) -> bool:
    return name.lower().endswith(".zip")


def _is_health_export(head: bytes) -> bool:
    """Whether a file starting with `head` (up to SNIFF_BYTES) is an Apple Health export.xml, by content."""
    return sniff(head) == "apple_health"


def _might_be_xml(start: bytes) -> bool:
    return start.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"<")


def _unsafe_member_name(name: str) -> str | None:
    if "\x00" in name:
        return "member name contains a NUL byte"
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        return f"absolute path in archive member {name!r} (path traversal)"
    if ".." in PurePosixPath(normalised).parts:
        return f"'..' in archive member {name!r} (path traversal)"
    return None


class InputWalker:
    """Turns import paths into stored :class:`Candidate` files."""

    def __init__(self, store: BlobStore, limits: ArchiveLimits | None = None) -> None:
        self.store = store
        self.limits = limits or ArchiveLimits()
        self.stats = WalkStats()

    def walk(self, paths: list[str | os.PathLike[str]]) -> Iterator[Candidate]:
        for path in paths:
            yield from self._walk_path(Path(path), explicit=True)

    # ---------------------------------------------------------------------------------------- filesystem

    def _walk_path(self, path: Path, explicit: bool) -> Iterator[Candidate]:
        if path.is_symlink() and not explicit:
            yield Candidate(str(path), None, refused="refused: symlink inside a folder is not followed")
            return
        if not path.exists():
            yield Candidate(str(path), None, refused="no such file or folder")
            return
        if path.is_dir():
            yield from self._walk_folder(path)
            return
        budget = _Budget(self.limits)
        name = path.name
        with open(path, "rb") as handle:
            magic = handle.read(4)
        if magic.startswith(b"PK\x03\x04") or magic.startswith(b"PK\x05\x06"):
            yield from self._walk_zip_file(path, str(path), depth=1, budget=budget)
        elif magic.startswith(b"\x1f\x8b"):
            with open(path, "rb") as handle:
                yield from self._store_gzip(handle, path.stat().st_size, str(path), None, budget, {})
        elif explicit or _is_fitness_name(name) or _file_is_health_export(path):
            yield self._store_plain_file(path)
        else:
            self.stats.skip(str(path))

    def _walk_folder(self, folder: Path) -> Iterator[Candidate]:
        strava = _strava_index_from_csv_path(folder / "activities.csv")
        for root, dirs, files in os.walk(folder, followlinks=False):
            dirs.sort()
            for file_name in sorted(files):
                path = Path(root) / file_name
                if path.is_symlink():
                    yield Candidate(
                        str(path), None, refused="refused: symlink inside a folder is not followed"
                    )
                    continue
                wanted = (
                    _is_fitness_name(file_name) or _is_zip_name(file_name) or _file_is_health_export(path)
                )
                if not wanted:
                    self.stats.skip(str(path))
                    continue
                for candidate in self._walk_path(path, explicit=False):
                    if strava:
                        relative = path.relative_to(folder).as_posix()
                        candidate.metadata.update(strava.get(relative, {}))
                    yield candidate

    def _store_plain_file(self, path: Path) -> Candidate:
        size = path.stat().st_size
        limit = (
            self.limits.max_health_export_bytes
            if _file_is_health_export(path)
            else self.limits.max_file_bytes
        )
        if size > limit:
            return Candidate(
                str(path),
                None,
                size=size,
                refused=f"refused: {size} bytes exceeds the {limit} byte file limit",
            )
        sha = self.store.put_file(path)
        return Candidate(str(path), None, sha256=sha, size=size)

    # ------------------------------------------------------------------------------------------- streams

    def _store_stream(
        self,
        stream: BinaryIO,
        compressed_size: int | None,
        name: str,
        archive: str | None,
        budget: _Budget,
        metadata: dict[str, Any],
        max_bytes: int | None = None,
    ) -> Candidate:
        max_bytes = self.limits.max_file_bytes if max_bytes is None else max_bytes
        reader = _LimitedReader(stream, compressed_size, budget, name, max_bytes)
        try:
            sha = self.store.put_stream(reader, max_bytes=max_bytes)
        except (LimitExceeded, BlobStoreError) as exc:
            return Candidate(name, archive, refused=str(exc), metadata=metadata)
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
            return Candidate(name, archive, refused=f"corrupt compressed data: {exc}", metadata=metadata)
        return Candidate(name, archive, sha256=sha, size=reader.count, metadata=metadata)

    def _store_gzip(
        self,
        raw: BinaryIO,
        compressed_size: int,
        name: str,
        archive: str | None,
        budget: _Budget,
        metadata: dict[str, Any],
    ) -> Iterator[Candidate]:
        inner_name = name[:-3] if name.lower().endswith(".gz") else name
        with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
            yield self._store_stream(unzipped, compressed_size, inner_name, archive, budget, metadata)

    # ---------------------------------------------------------------------------------------------- zips

    def _walk_zip_file(
        self, path: Path, archive_label: str, depth: int, budget: _Budget
    ) -> Iterator[Candidate]:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            yield Candidate(str(path), None, refused=f"corrupt zip archive: {exc}")
            return
        with archive:
            yield from self._walk_zip(archive, archive_label, depth, budget)

    def _walk_zip(
        self, archive: zipfile.ZipFile, label: str, depth: int, budget: _Budget
    ) -> Iterator[Candidate]:
        members = archive.infolist()
        if len(members) > self.limits.max_members:
            yield Candidate(
                label,
                None,
                refused=f"refused: archive has {len(members)} members (limit {self.limits.max_members})",
            )
            return
        strava = _strava_index_from_zip(archive)
        for info in members:
            name = info.filename
            if info.is_dir():
                continue
            health_export = False
            if not (_is_fitness_name(name) or _is_zip_name(name)):
                health_export = self._member_is_health_export(archive, info)
                if not health_export:
                    self.stats.skip(f"{label}!{name}")
                    continue
            metadata = dict(strava.get(name, {})) if strava else {}
            problem = _unsafe_member_name(name)
            if problem is None and stat.S_ISLNK(info.external_attr >> 16):
                problem = f"refused: archive member {name!r} is a symlink"
            if problem is None and info.flag_bits & 0x1:
                problem = f"refused: archive member {name!r} is encrypted"
            if problem is not None:
                yield Candidate(
                    name, label, refused=problem if problem.startswith("refused") else f"refused: {problem}"
                )
                continue
            if _is_zip_name(name):
                if depth >= self.limits.max_depth:
                    yield Candidate(
                        name, label, refused=f"refused: zip nested deeper than {self.limits.max_depth} levels"
                    )
                    continue
                yield from self._walk_nested_zip(archive, info, f"{label}!{name}", depth, budget)
                continue
            try:
                with archive.open(info) as member:
                    if health_export:
                        stored = self._store_stream(
                            member,
                            info.compress_size,
                            name,
                            label,
                            budget,
                            metadata,
                            max_bytes=self.limits.max_health_export_bytes,
                        )
                        if stored.sha256 is not None and self._is_other_sqlite(stored.sha256):
                            self.stats.skip(f"{label}!{name}")  # an SQLite file of no known format
                            continue
                        yield stored
                    elif name.lower().endswith(".gz"):
                        yield from self._store_gzip(member, info.compress_size, name, label, budget, metadata)
                    else:
                        yield self._store_stream(member, info.compress_size, name, label, budget, metadata)
            except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as exc:
                yield Candidate(name, label, refused=f"corrupt archive member: {exc}", metadata=metadata)

    def _is_other_sqlite(self, sha: str) -> bool:
        """A readable SQLite database no format claims (a damaged one is decoded and quarantined)."""
        return sqlite_format(self.store.path_for(sha)) == "other"

    @staticmethod
    def _member_is_health_export(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
        """Sniff a member's content; only members that start like XML are read further than a few bytes."""
        if info.flag_bits & 0x1 or _unsafe_member_name(info.filename):
            return False  # refused below whatever it holds; not worth opening
        try:
            with archive.open(info) as member:
                start = member.read(64)
                if looks_like_sqlite(start):
                    return True  # its tables decide once it is stored (see _walk_zip)
                if not _might_be_xml(start):
                    return False
                return _is_health_export(start + member.read(SNIFF_BYTES - len(start)))
        except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError, zlib.error):
            return False

    def _walk_nested_zip(
        self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, depth: int, budget: _Budget
    ) -> Iterator[Candidate]:
        # zipfile needs a seekable file: spool the nested archive to a temporary file, within the limits.
        with tempfile.TemporaryFile() as spool:
            try:
                with archive.open(info) as member:
                    reader = _LimitedReader(member, info.compress_size, budget, info.filename)
                    while chunk := reader.read(1 << 20):
                        spool.write(chunk)
            except LimitExceeded as exc:
                yield Candidate(info.filename, label.rsplit("!", 1)[0], refused=str(exc))
                return
            except (zipfile.BadZipFile, OSError, zlib.error) as exc:
                yield Candidate(
                    info.filename, label.rsplit("!", 1)[0], refused=f"corrupt archive member: {exc}"
                )
                return
            spool.seek(0)
            try:
                nested = zipfile.ZipFile(spool)
            except zipfile.BadZipFile as exc:
                yield Candidate(info.filename, label.rsplit("!", 1)[0], refused=f"corrupt nested zip: {exc}")
                return
            with nested:
                yield from self._walk_zip(nested, label, depth + 1, budget)


# ------------------------------------------------------------------------------------------- Strava CSV

_STRAVA_COLUMNS = {
    "Activity ID": "strava_activity_id",
    "Activity Date": "strava_activity_date",
    "Activity Name": "strava_name",
    "Activity Type": "strava_type",
    "Activity Description": "strava_description",
    "Activity Gear": "strava_gear",
    "Commute": "strava_commute",
}


def _parse_strava_csv(text: str) -> dict[str, dict[str, Any]]:
    """Strava's activities.csv -> {member path: metadata}. Duplicate headers: the first occurrence wins."""
    rows = csv.reader(io.StringIO(text))
    try:
        header = next(rows)
    except StopIteration:
        return {}
    positions: dict[str, int] = {}
    for index, column in enumerate(header):
        positions.setdefault(column.strip(), index)
    if "Filename" not in positions:
        return {}
    index: dict[str, dict[str, Any]] = {}
    for row in rows:
        file_at = positions["Filename"]
        if file_at >= len(row) or not row[file_at].strip():
            continue
        metadata: dict[str, Any] = {"source": "strava_export"}
        for column, key in _STRAVA_COLUMNS.items():
            at = positions.get(column)
            value = row[at].strip() if at is not None and at < len(row) else ""
            if key == "strava_commute":
                metadata[key] = value.lower() in ("true", "1", "yes")
            else:
                metadata[key] = value or None
        index[row[file_at].strip()] = metadata
    return index


def _strava_index_from_zip(archive: zipfile.ZipFile) -> dict[str, dict[str, Any]]:
    for info in archive.infolist():
        if PurePosixPath(info.filename).name == "activities.csv" and info.file_size < 64 * 1024 * 1024:
            prefix = info.filename[: -len("activities.csv")]
            with archive.open(info) as handle:
                parsed = _parse_strava_csv(handle.read().decode("utf-8-sig", errors="replace"))
            return {prefix + name: meta for name, meta in parsed.items()}
    return {}


def _strava_index_from_csv_path(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file() or path.stat().st_size > 64 * 1024 * 1024:
        return {}
    return _parse_strava_csv(path.read_text(encoding="utf-8-sig", errors="replace"))


def _file_is_health_export(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            start = handle.read(64)
            if looks_like_sqlite(start):
                return sqlite_format(path) != "other"  # a damaged database is decoded and quarantined
            if not _might_be_xml(start):
                return False
            return _is_health_export(start + handle.read(SNIFF_BYTES - len(start)))
    except OSError:
        return False
