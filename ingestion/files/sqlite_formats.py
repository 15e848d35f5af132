"""SQLite databases people import (phone apps' exports), recognised by their tables, never by their name.

Every SQLite file starts with the same 16 bytes, so the header only says "a database": the tables decide which
format it is. Each SQLite format registers a recogniser here (a function of {table: columns} that says yes or
no); one that no recogniser claims is "other" (skipped inside folders and archives, refused when imported by
name), one whose table list cannot be read is "damaged" (decoded, so it is quarantined with the reason).

Databases are opened read-only and immutable: SQLite then writes nothing next to the file (no -wal, -shm or
-journal) and takes no locks, so a blob in the store is never changed by reading it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"

Tables = dict[str, list[str]]


def looks_like_sqlite(head: bytes) -> bool:
    return head.startswith(SQLITE_MAGIC)


def connect_read_only(path: str | Path) -> sqlite3.Connection:
    uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True)


def table_columns(connection: sqlite3.Connection) -> Tables:
    """{table name: its column names} of every table in the database."""
    names = [
        row[0]
        for row in connection.execute("select name from sqlite_master where type = 'table' order by name")
    ]
    return {name: [row[1] for row in connection.execute(f'pragma table_info("{name}")')] for name in names}


def _is_health_connect(tables: Tables) -> bool:
    from ingestion.files.health_connect import is_health_connect_schema

    return is_health_connect_schema(tables)


def _is_gadgetbridge(tables: Tables) -> bool:
    from ingestion.files.gadgetbridge import why_not_gadgetbridge

    return why_not_gadgetbridge(tables) is None


# format name -> (what it is, in words; recogniser of its tables); the first that says yes names the database.
# Health Connect's tables (application_info_table, <type>_record_table) and Gadgetbridge's (DEVICE, USER,
# *_ACTIVITY_SAMPLE) never overlap.
RECOGNISERS: dict[str, tuple[str, Callable[[Tables], bool]]] = {
    "gadgetbridge": ("a Gadgetbridge database", _is_gadgetbridge),
    "health_connect": ("a Health Connect export", _is_health_connect),
}


def read_tables(path: str | Path) -> tuple[Tables | None, str | None]:
    """(the database's tables, None), or (None, why they cannot be read)."""
    try:
        connection = connect_read_only(path)
        try:
            return table_columns(connection), None
        finally:
            connection.close()
    except (OSError, sqlite3.Error) as exc:
        return None, str(exc)


def sqlite_format(path: str | Path) -> str | None:
    """A recognised format name, 'other' (a readable SQLite database of something else), 'damaged' (an
    SQLite header without a readable table list) or None (not SQLite), for the file at `path`."""
    try:
        with open(path, "rb") as handle:
            if not looks_like_sqlite(handle.read(len(SQLITE_MAGIC))):
                return None
    except OSError:
        return "damaged"
    tables, _ = read_tables(path)
    if tables is None:
        return "damaged"
    for name, (_, recognises) in RECOGNISERS.items():
        if recognises(tables):
            return name
    return "other"


def why_unclaimed(path: str | Path) -> str:
    """Why no format claims the SQLite database at `path`, in words, with its tables (or SQLite's error)."""
    tables, error = read_tables(path)
    if tables is None:
        return f"damaged SQLite database: its table list is unreadable ({error})"
    what = " nor ".join(description for description, _ in RECOGNISERS.values())
    return f"not {what}: an SQLite database without their tables (its tables: {describe_tables(tables)})"


def describe_tables(tables: Tables, limit: int = 8) -> str:
    shown = sorted(tables)[:limit]
    more = f" and {len(tables) - limit} more" if len(tables) > limit else ""
    return (", ".join(shown) or "none") + more
