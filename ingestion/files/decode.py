"""Format detection and the one entry point that decodes any fitness file's bytes."""

from __future__ import annotations

from pathlib import Path

from ingestion.files.fit_bytes import looks_like_fit
from ingestion.files.model import DecodedFile, quarantined

# Larger files are refused unread: the longest real activities (multi-day ultras, 1 Hz) stay far below.
MAX_FIT_BYTES = 256 * 1024 * 1024
MAX_XML_BYTES = 512 * 1024 * 1024

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


def sniff(data: bytes) -> str | None:
    """'fit' | 'gpx' | 'tcx' | None, from the content (never from the file name)."""
    if looks_like_fit(data):
        return "fit"
    head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        if b"<TrainingCenterDatabase" in head:
            return "tcx"
        if b"<gpx" in head or b":gpx" in head:
            return "gpx"
    return None


def describe_non_fitness(data: bytes, name: str = "") -> str:
    if not data:
        return "empty file"
    for magic, what in _KNOWN_NON_FITNESS:
        if data.startswith(magic):
            return f"not a fitness file: {what}"
    head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "not a fitness file: XML without a <gpx> or <TrainingCenterDatabase> root"
    if len(data) >= 12 and data[8:12] == b".FIT":
        return f"not a FIT file: header size byte is {data[0]} (12 or 14 expected)"
    suffix = Path(name).suffix.lower()
    if suffix in (".fit", ".gpx", ".tcx"):
        return f"not a fitness file: named {suffix} but the content is not {suffix[1:].upper()}"
    return "not a fitness file: content is neither FIT, GPX nor TCX"


def decode_bytes(data: bytes, name: str = "") -> DecodedFile:
    """Detect the format of `data` and decode it. Never raises on bad input: returns a quarantined result."""
    fmt = sniff(data)
    if fmt is None:
        return quarantined("unknown", describe_non_fitness(data, name))
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
    """Decode a file on disk, refusing absurd sizes before reading it."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_XML_BYTES:
        return quarantined("unknown", f"refused: {size} bytes exceeds the {MAX_XML_BYTES} byte limit")
    return decode_bytes(path.read_bytes(), name or path.name)
