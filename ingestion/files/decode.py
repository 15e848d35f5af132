"""Format detection and the one entry point that decodes any fitness file's bytes."""

from __future__ import annotations

import re
from pathlib import Path

from ingestion.files.fit_bytes import looks_like_fit
from ingestion.files.model import DecodedFile, quarantined, refuse_empty
from ingestion.files.sqlite_formats import looks_like_sqlite

# Larger files are refused unread: the longest real activities (multi-day ultras, 1 Hz) stay far below.
MAX_FIT_BYTES = 256 * 1024 * 1024
MAX_XML_BYTES = 512 * 1024 * 1024
# Apple Health exports are one XML file of the whole history (1-4 GB seen); it is streamed, never read whole.
MAX_HEALTH_EXPORT_BYTES = 16 * 1024 * 1024 * 1024
# SQLite exports of a phone's or a band's store (Health Connect, Gadgetbridge): the whole history, read by
# SQLite in pages (0.1-2 GB seen).
MAX_SQLITE_BYTES = 8 * 1024 * 1024 * 1024
# How much of a file's start is read to find its root element (Apple's export starts with a DTD of ~10 KB).
SNIFF_BYTES = 1024 * 1024

# Magic numbers of things people drop into an inbox by mistake, for a clear refusal.
_KNOWN_NON_FITNESS = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a zip archive (import it as an archive)"),
    (b"\x1f\x8b", "gzip data (import it as .gz)"),
    (b"SQLite format 3", "an SQLite database"),
    (b"\x7fELF", "an executable"),
    (b"MZ", "a Windows executable"),
)


_XML_SPACE = re.compile(rb"[ \t\r\n]*")
_XML_NAME = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


def xml_root(data: bytes) -> str | None:
    """Local name of the root element of an XML document, or None when `data` does not start like XML.

    The prolog (declaration, comments, processing instructions, DOCTYPE) is skipped whatever its length:
    a fixed-size window would misjudge a file whose root comes after a long comment."""
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while True:
        pos = _XML_SPACE.match(data, pos).end()  # type: ignore[union-attr]  # matches the empty string too
        if data.startswith(b"<?", pos):
            end = data.find(b"?>", pos + 2)
            pos = -1 if end < 0 else end + 2
        elif data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos + 4)
            pos = -1 if end < 0 else end + 3
        elif data[pos : pos + 9].upper() == b"<!DOCTYPE":
            close = data.find(b">", pos)
            subset = data.find(b"[", pos, close if close >= 0 else None)
            if subset >= 0:  # an internal subset may hold '>' of its own declarations
                end = data.find(b"]", subset)
                close = -1 if end < 0 else data.find(b">", end)
            pos = -1 if close < 0 else close + 1
        else:
            match = _XML_NAME.match(data, pos)
            return match.group(1).decode("ascii") if match else None
        if pos < 0:
            return None


def _looks_like_xml(data: bytes) -> bool:
    return data.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"<")


def sniff(data: bytes) -> str | None:
    """'fit' | 'gpx' | 'tcx' | 'apple_health' | 'sqlite' | None, from the content (never from the file name).
    'sqlite' is any SQLite database: its tables decide the format (ingestion.files.sqlite_formats).

    `data` may be only the start of the file (SNIFF_BYTES are enough)."""
    if looks_like_fit(data):
        return "fit"
    if looks_like_sqlite(data):
        return "sqlite"
    root = xml_root(data)
    if root == "TrainingCenterDatabase":
        return "tcx"
    if root == "gpx":
        return "gpx"
    if root == "HealthData":
        return "apple_health"
    return None


def describe_non_fitness(data: bytes, name: str = "") -> str:
    if not data:
        return "empty file"
    for magic, what in _KNOWN_NON_FITNESS:
        if data.startswith(magic):
            return f"not a fitness file: {what}"
    if _looks_like_xml(data):
        root = xml_root(data)
        found = f"its root element is <{root}>" if root else "no root element found"
        return (
            "not a fitness file: XML without a <gpx>, <TrainingCenterDatabase> or <HealthData> (Apple Health) "
            f"root ({found})"
        )
    if len(data) >= 12 and data[8:12] == b".FIT":
        return f"not a FIT file: header size byte is {data[0]} (12 or 14 expected)"
    suffix = Path(name).suffix.lower()
    if suffix in (".fit", ".gpx", ".tcx"):
        return f"not a fitness file: named {suffix} but the content is not {suffix[1:].upper()}"
    return "not a fitness file: content is neither FIT, GPX nor TCX"


def decode_bytes(data: bytes, name: str = "") -> DecodedFile:
    """Detect the format of `data` and decode it. Never raises on bad input: returns a quarantined result.
    A file that gives no data (random bytes behind a valid FIT header, a GPX without points) is quarantined."""
    decoded = _decode_by_format(data, name)
    if decoded.format == "fitbit" and decoded.status == "imported" and not decoded.tables:
        return decoded  # a Takeout file of a day without data: valid, and nothing to retry later
    return refuse_empty(decoded)


def _decode_by_format(data: bytes, name: str) -> DecodedFile:
    fmt = sniff(data)
    if fmt is None:
        from ingestion.files.fitbit import decode_fitbit, sniff_fitbit

        fitbit_kind = sniff_fitbit(data[:SNIFF_BYTES], name)
        if fitbit_kind is not None:  # a Google Takeout Fitbit file: its name's pattern and its content agree
            return decode_fitbit(data, name, fitbit_kind)
        return quarantined("unknown", describe_non_fitness(data, name))
    if fmt == "apple_health":
        import io

        from ingestion.files.apple_health import decode_apple_health

        return decode_apple_health(io.BytesIO(data))
    if fmt == "sqlite":
        return _decode_sqlite_bytes(data)
    limit = MAX_FIT_BYTES if fmt == "fit" else MAX_XML_BYTES
    if len(data) > limit:
        return quarantined(
            fmt, f"refused: {len(data)} bytes exceeds the {limit} byte limit for {fmt.upper()} files"
        )
    if fmt == "fit":
        from ingestion.files.fit import decode_fit

        return decode_fit(data)
    if fmt == "gpx":
        from ingestion.files.gpx import decode_gpx

        return decode_gpx(data)
    from ingestion.files.tcx import decode_tcx

    return decode_tcx(data)


def decode_path(path: str | Path, name: str = "") -> DecodedFile:
    """Decode a file on disk, refusing absurd sizes before reading it. An Apple Health export is streamed
    from the file (it can be gigabytes); every other format is read whole."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    fmt = sniff(head)
    if fmt == "apple_health":
        return refuse_empty(_decode_health_export(path, size))
    if fmt == "sqlite":  # SQLite reads the file itself, in pages
        return refuse_empty(_decode_sqlite(path, size))
    if size > MAX_XML_BYTES:
        return quarantined("unknown", f"refused: {size} bytes exceeds the {MAX_XML_BYTES} byte limit")
    return decode_bytes(path.read_bytes(), name or path.name)


def _decode_health_export(path: Path, size: int) -> DecodedFile:
    if size > MAX_HEALTH_EXPORT_BYTES:
        return quarantined(
            "apple_health",
            f"refused: {size} bytes exceeds the {MAX_HEALTH_EXPORT_BYTES} byte limit for exports",
        )
    from ingestion.files.apple_health import decode_apple_health

    with open(path, "rb") as handle:
        return decode_apple_health(handle)


def _decode_sqlite(path: Path, size: int) -> DecodedFile:
    """An SQLite database, by the format its tables name (see ingestion.files.sqlite_formats)."""
    from ingestion.files import sqlite_formats

    if size > MAX_SQLITE_BYTES:
        return quarantined(
            "sqlite", f"refused: {size} bytes exceeds the {MAX_SQLITE_BYTES} byte limit for databases"
        )
    fmt = sqlite_formats.sqlite_format(path)
    if fmt == "health_connect":
        from ingestion.files.health_connect import decode_health_connect

        return decode_health_connect(path)
    if fmt == "gadgetbridge":
        from ingestion.files.gadgetbridge import decode_gadgetbridge

        return decode_gadgetbridge(path)
    # another app's database, or one whose table list cannot be read: the reason says which
    return quarantined("sqlite" if fmt == "damaged" else "unknown", sqlite_formats.why_unclaimed(path))


def _decode_sqlite_bytes(data: bytes) -> DecodedFile:
    """SQLite reads files, not bytes: a temporary copy, removed after the decode."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="openfit-sqlite-") as folder:
        copy = Path(folder) / "database.sqlite"
        copy.write_bytes(data)
        return _decode_sqlite(copy, len(data))
