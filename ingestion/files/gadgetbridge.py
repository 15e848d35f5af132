"""Gadgetbridge database exports (the app's 'Export DB': one SQLite file), read in bounded memory.

Gadgetbridge talks to Amazfit/Xiaomi/Huawei/... bands without a vendor cloud and keeps everything in one
greenDAO SQLite database (``Gadgetbridge`` / ``Gadgetbridge.db``, also ``database/Gadgetbridge`` inside the
zip export). It is recognised by content: the SQLite header, then the tables (``DEVICE`` and ``USER`` plus a
per-family sample table or ``BASE_ACTIVITY_SUMMARY``). The file is opened read-only and immutable (no journal,
no lock files next to the blob), and every table is read through a cursor in chunks of ``CHUNK_ROWS`` rows
that become Arrow batches, so Python objects for one chunk at most are alive at a time.

Tables (``raw_files.gadgetbridge_<name>``):

* ``device``: one row per DEVICE: ``device_key`` (see below), name, manufacturer, type_name, model, alias,
  the latest firmware of DEVICE_ATTRIBUTES. The identifier (a Bluetooth MAC address) is never stored.
* ``activity_sample``: every row of every ``*_ACTIVITY_SAMPLE`` table that has TIMESTAMP, DEVICE_ID and STEPS
  (per-minute samples): ``sample_table`` (the family table), ``device_key``, ``timestamp`` (UTC; the column
  is unix seconds), ``user_id``, ``raw_intensity``, ``steps``, ``raw_kind`` (as written), ``heart_rate``
  (bpm; Gadgetbridge writes 0 or 255 for "no value", those and impossible values become NULL and are
  counted in ``nulled``), ``activity_kind`` (the kind normalised per family, see ``KIND_SCHEMES``).
* ``sleep_stage_sample``: XIAOMI_SLEEP_STAGE_SAMPLE (Xiaomi bands keep their sleep apart from the minute
  samples): ``device_key``, ``timestamp`` (UTC; the column is unix milliseconds) at which a stage begins,
  ``raw_stage`` and ``stage`` (Gadgetbridge's codes: 2 deep, 3 light, 4 REM, 5 awake; 0 "not sleep" and
  1 "n/a" have no stage); a stage lasts until the next sample;
* ``sleep_time_sample``: XIAOMI_SLEEP_TIME_SAMPLE, one row per night: ``bed_time``, ``wakeup_time`` (UTC),
  ``is_awake``, the band's own totals in minutes (total, deep, light, REM, awake);
* ``activity_summary``: BASE_ACTIVITY_SUMMARY (workouts): ``summary_key``, ``device_key``, name,
  start/end (UTC; the columns are unix milliseconds), ``activity_kind`` (Gadgetbridge's ActivityKind code),
  ``summary_data`` (its JSON text, kept verbatim), ``gpx_track`` (a path on the phone, not in the export).
* ``export``: one row per file: greenDAO schema version (``PRAGMA user_version``), the latest sample time
  (it orders exports of the same database: the newest export's version of a changed row wins in staging).

Devices: ``device_key`` is ``gadgetbridge:`` + a hash of the upper-cased identifier, so the same band keeps
its key in every export and across phones, and the MAC is not exposed (a MAC has only 48 bits: the hash
keeps it out of sight, it is not a secret).

Activity kinds (RAW_KIND): each family writes its own codes; ``activity_kind`` is one of ``light_sleep``,
``deep_sleep``, ``rem_sleep``, ``awake_sleep``, ``activity``, ``not_worn``, ``unknown``:

* ``MI_BAND_ACTIVITY_SAMPLE`` (Mi Band 2-7, Amazfit Bip/GTS/GTR... the Huami protocol): the low four bits
  count; 0 ("no change") and 10 ("ignore") repeat the device's previous kind; 9 light sleep, 11 deep sleep,
  1/2/4/12 activity (walking, running, cycling, woke up), 3/6 not worn (off wrist, charging). Mi Band 1
  (DEVICE.TYPE_NAME ``MIBAND``) wrote its own: 4 light sleep, 5 deep sleep, 3/6 not worn.
* ``HUAMI_EXTENDED_ACTIVITY_SAMPLE`` (newer Huami/Zepp OS and some Xiaomi): 120 sleep, refined as
  Gadgetbridge does with the SLEEP columns (REM_SLEEP & 127 > 55: REM, else DEEP_SLEEP & 127 > 42: deep, else
  light), 121 deep, 122 REM, 115/118 not worn, 64 activity (outdoor running).
* ``XIAOMI_ACTIVITY_SAMPLE``: Gadgetbridge's ActivityKind codes themselves: 1 activity, 2 light sleep,
  4 deep sleep, 8 not worn, 0x01000000 REM, 0x02000000 awake in sleep, 16..0x800000 sports (activity).
* Other families (Garmin, PineTime, Bangle.js, Huawei...): kinds are kept raw, ``unknown`` (heart rate and
  steps still count; their sleep is not derived).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from hashlib import blake2b
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.files.model import HEART_RATE_RANGE, DecodedFile, quarantined

PARSER = "openfit-gadgetbridge"
PARSER_VERSION = "1"
SQLITE_MAGIC = b"SQLite format 3\x00"
CHUNK_ROWS = 50_000  # rows fetched from a cursor at once (about 5 MB of Python tuples)

# A database is Gadgetbridge's when it has these tables and at least one table of data.
REQUIRED_TABLES = frozenset({"DEVICE", "USER"})
SUMMARY_TABLE = "BASE_ACTIVITY_SUMMARY"
SAMPLE_COLUMNS = ("TIMESTAMP", "DEVICE_ID", "STEPS")
OPTIONAL_SAMPLE_COLUMNS = ("USER_ID", "RAW_INTENSITY", "RAW_KIND", "HEART_RATE")
HUAMI_EXTENDED_SLEEP_COLUMNS = ("DEEP_SLEEP", "REM_SLEEP")

MAX_UNIX_SECONDS = 10**11  # year 5138: a larger TIMESTAMP is not unix seconds
MAX_STEPS_PER_MINUTE = 1000
# Heart rate: Gadgetbridge writes 0 and 255 (and some devices -1 or 254) when there was no measurement.
HR_NO_VALUE = frozenset({-1, 0, 254, 255})

LIGHT, DEEP, REM, AWAKE = "light_sleep", "deep_sleep", "rem_sleep", "awake_sleep"
ACTIVITY, NOT_WORN, UNKNOWN = "activity", "not_worn", "unknown"

# Gadgetbridge's ActivityKind codes (model/ActivityKind.java), used as raw kinds by the Xiaomi family.
ACTIVITY_KIND_CODES = {1: ACTIVITY, 2: LIGHT, 4: DEEP, 8: NOT_WORN, 0x01000000: REM, 0x02000000: AWAKE}
HUAMI_KINDS = {
    9: LIGHT,
    11: DEEP,
    1: ACTIVITY,
    2: ACTIVITY,
    4: ACTIVITY,
    12: ACTIVITY,
    3: NOT_WORN,
    6: NOT_WORN,
}
HUAMI_REPEAT_PREVIOUS = frozenset({0, 10})  # "no change" and "ignore": the previous kind goes on
MI_BAND_1_KINDS = {4: LIGHT, 5: DEEP, 3: NOT_WORN, 6: NOT_WORN}
HUAMI_EXTENDED_KINDS = {121: DEEP, 122: REM, 115: NOT_WORN, 118: NOT_WORN, 64: ACTIVITY}
HUAMI_EXTENDED_SLEEP = 120
XIAOMI_SLEEP_STAGES = {2: "deep", 3: "light", 4: "rem", 5: "awake"}  # 0 not sleep, 1 n/a: no stage
SLEEP_STAGE_TABLE = "XIAOMI_SLEEP_STAGE_SAMPLE"
SLEEP_TIME_TABLE = "XIAOMI_SLEEP_TIME_SAMPLE"
SLEEP_TIME_COLUMNS = {
    "TIMESTAMP": "bed_time",
    "WAKEUP_TIME": "wakeup_time",
    "IS_AWAKE": "is_awake",
    "TOTAL_DURATION": "total_minutes",
    "DEEP_SLEEP_DURATION": "deep_minutes",
    "LIGHT_SLEEP_DURATION": "light_minutes",
    "REM_SLEEP_DURATION": "rem_minutes",
    "AWAKE_DURATION": "awake_minutes",
}
KIND_SCHEMES = {
    "MI_BAND_ACTIVITY_SAMPLE": "huami",
    "HUAMI_EXTENDED_ACTIVITY_SAMPLE": "huami_extended",
    "XIAOMI_ACTIVITY_SAMPLE": "activity_kind_codes",
}


class NotGadgetbridgeError(ValueError):
    pass


def looks_like_sqlite(head: bytes) -> bool:
    return head.startswith(SQLITE_MAGIC)


def _connect(path: Path) -> sqlite3.Connection:
    """Read-only and immutable: SQLite then writes nothing (no -wal/-shm/-journal files beside the blob) and
    takes no locks; the blob is never changed while it is read."""
    uri = Path(path).resolve().as_uri() + "?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True)


def _tables(connection: sqlite3.Connection) -> dict[str, list[str]]:
    names = [
        row[0]
        for row in connection.execute("select name from sqlite_master where type = 'table' order by name")
    ]
    return {name: [row[1] for row in connection.execute(f'pragma table_info("{name}")')] for name in names}


def _sample_tables(tables: dict[str, list[str]]) -> list[str]:
    return [
        name
        for name, columns in tables.items()
        if name.endswith("ACTIVITY_SAMPLE") and all(column in columns for column in SAMPLE_COLUMNS)
    ]


def why_not_gadgetbridge(tables: dict[str, list[str]]) -> str | None:
    missing = sorted(REQUIRED_TABLES - tables.keys())
    if missing or not (_sample_tables(tables) or SUMMARY_TABLE in tables):
        shown = ", ".join(sorted(tables)[:8]) or "none"
        return (
            "not a Gadgetbridge database: an SQLite database without "
            f"{', '.join(missing) or 'any activity sample or BASE_ACTIVITY_SUMMARY'} table(s) (its tables: {shown})"
        )
    return None


def sqlite_kind(path: str | Path) -> str | None:
    """'gadgetbridge', 'other' (a readable SQLite database of something else), 'damaged' (an SQLite header
    without a readable table list) or None (not SQLite), for the file at `path`."""
    try:
        with open(path, "rb") as handle:
            if not looks_like_sqlite(handle.read(len(SQLITE_MAGIC))):
                return None
        connection = _connect(Path(path))
        try:
            return "other" if why_not_gadgetbridge(_tables(connection)) else "gadgetbridge"
        finally:
            connection.close()
    except (OSError, sqlite3.Error):
        return "damaged"


def is_gadgetbridge_database(path: str | Path) -> bool:
    """Whether the file at `path` is a Gadgetbridge database (by its header, then its tables)."""
    return sqlite_kind(path) == "gadgetbridge"


def device_key(identifier: str | None, local_id: int) -> str:
    """A stable device id that does not show the MAC address (see the module docstring)."""
    text = (identifier or f"local-device-{local_id}").strip().upper()
    return "gadgetbridge:" + blake2b(text.encode(), digest_size=10, person=b"openfit-gb").hexdigest()


def _chunks(cursor: sqlite3.Cursor) -> Iterator[list[tuple]]:
    while rows := cursor.fetchmany(CHUNK_ROWS):
        yield rows


class _Decoder:
    def __init__(self, connection: sqlite3.Connection, tables: dict[str, list[str]]) -> None:
        self.connection = connection
        self.tables = tables
        self.nulled: dict[str, int] = {}
        self.warnings: list[str] = []
        self.device_keys: dict[int, str] = {}
        self.mi_band_1: set[int] = set()  # local ids of Mi Band 1 devices (their own kind codes)
        self.latest_sample: int | None = None

    # -------------------------------------------------------------------------------------------- devices

    def devices(self) -> pa.Table:
        columns = self.tables["DEVICE"]
        wanted = [c for c in ("NAME", "MANUFACTURER", "TYPE_NAME", "MODEL", "ALIAS") if c in columns]
        identifier = "IDENTIFIER" if "IDENTIFIER" in columns else "NULL"
        firmware = self._firmware()
        rows = []
        select = ", ".join(f'"{c}"' for c in wanted)
        for local_id, ident, *values in self.connection.execute(
            f'select "_id", {identifier}, {select} from "DEVICE" order by "_id"'
        ):
            key = device_key(ident, local_id)
            self.device_keys[local_id] = key
            fields = dict(zip((c.lower() for c in wanted), values, strict=True))
            if (fields.get("type_name") or "").upper() == "MIBAND":
                self.mi_band_1.add(local_id)
            rows.append({"device_key": key, **fields, "firmware_version": firmware.get(local_id)})
        return pa.Table.from_pylist(rows) if rows else pa.table({"device_key": pa.array([], pa.string())})

    def _firmware(self) -> dict[int, str]:
        columns = self.tables.get("DEVICE_ATTRIBUTES", [])
        if not {"DEVICE_ID", "FIRMWARE_VERSION1"} <= set(columns):
            return {}
        order = '"VALID_FROM_UTC"' if "VALID_FROM_UTC" in columns else '"_id"'
        firmware: dict[int, str] = {}
        for local_id, version in self.connection.execute(
            f'select "DEVICE_ID", "FIRMWARE_VERSION1" from "DEVICE_ATTRIBUTES" order by {order}'
        ):
            firmware[local_id] = version  # the latest attributes win
        return firmware

    def _device_key(self, local_id: int) -> str:
        key = self.device_keys.get(local_id)
        if key is None:  # a sample of a device the DEVICE table no longer lists
            key = self.device_keys[local_id] = device_key(None, local_id)
        return key

    # -------------------------------------------------------------------------------------------- samples

    def samples(self, table: str) -> Iterator[pa.RecordBatch]:
        columns = self.tables[table]
        present = [c for c in (*SAMPLE_COLUMNS, *OPTIONAL_SAMPLE_COLUMNS) if c in columns]
        scheme = KIND_SCHEMES.get(table)
        extra = (
            [c for c in HUAMI_EXTENDED_SLEEP_COLUMNS if c in columns] if scheme == "huami_extended" else []
        )
        select = ", ".join(f'"{c}"' for c in (*present, *extra))
        # the primary key's order (greenDAO: TIMESTAMP, DEVICE_ID), so SQLite reads without sorting; the kinds
        # that repeat the previous one look it up per device
        cursor = self.connection.execute(f'select {select} from "{table}" order by "TIMESTAMP", "DEVICE_ID"')
        previous_kind: dict[int, str] = {}  # per device, for the Huami "no change" kinds
        for rows in _chunks(cursor):
            values = dict(zip((*present, *extra), map(list, zip(*rows, strict=True)), strict=True))
            yield self._sample_batch(table, scheme, values, previous_kind)

    def _sample_batch(
        self, table: str, scheme: str | None, values: dict[str, list[Any]], previous_kind: dict[int, str]
    ) -> pa.RecordBatch:
        """One chunk's columns into Arrow; the checks run in Arrow (a Python loop per value cost more than
        reading the rows)."""
        count = len(values["TIMESTAMP"])
        nothing = [None] * count
        seconds = _int_column(values["TIMESTAMP"])
        seconds = pc.if_else(pc.less(seconds, MAX_UNIX_SECONDS), seconds, None)  # beyond: not a time
        highest = pc.max(seconds).as_py()
        if highest is not None and (self.latest_sample is None or highest > self.latest_sample):
            self.latest_sample = highest
        device_ids = values["DEVICE_ID"]
        raw_kinds = values.get("RAW_KIND", nothing)
        kinds = self._kinds(scheme, device_ids, raw_kinds, values, previous_kind)
        return pa.RecordBatch.from_pydict(
            {
                "sample_table": pa.DictionaryArray.from_arrays(
                    pa.array(np.zeros(count, dtype=np.int32)), pa.array([table], pa.string())
                ),
                "device_key": self._device_key_column(device_ids),
                "timestamp": pc.multiply(seconds, 1_000_000).cast(pa.timestamp("us", tz="UTC")),
                "user_id": _int_column(values.get("USER_ID", nothing)),
                "raw_intensity": _int_column(values.get("RAW_INTENSITY", nothing)),
                "steps": self._steps(_int_column(values["STEPS"])),
                "raw_kind": _int_column(raw_kinds),
                "heart_rate": self._heart_rates(_int_column(values.get("HEART_RATE", nothing))),
                "activity_kind": pa.array(kinds, pa.string()).dictionary_encode(),
            }
        )

    def _device_key_column(self, device_ids: list[Any]) -> pa.Array:
        encoded = _int_column(device_ids).dictionary_encode()
        keys = pa.array([self._device_key(d) for d in encoded.dictionary.to_pylist()], pa.string())
        return pa.DictionaryArray.from_arrays(encoded.indices, keys)

    def _count(self, label: str, n: int = 1) -> None:
        if n:
            self.nulled[label] = self.nulled.get(label, 0) + n

    def _heart_rates(self, values: pa.Array) -> pa.Array:
        """bpm; Gadgetbridge's "no value" codes become NULL silently, impossible values NULL and counted."""
        low, high = HEART_RATE_RANGE
        plausible = pc.and_(pc.greater_equal(values, low), pc.less_equal(values, high))
        no_value = pc.is_in(values, pa.array(sorted(HR_NO_VALUE), pa.int64()))
        impossible = pc.and_(pc.invert(plausible), pc.invert(no_value))
        self._count("heart_rate_out_of_range", pc.sum(impossible).as_py() or 0)
        return pc.if_else(plausible, values, None).cast(pa.int16())

    def _steps(self, values: pa.Array) -> pa.Array:
        """Steps of one minute: even sprinting stays far below 1000; beyond, or negative, NULL and counted."""
        plausible = pc.and_(pc.greater_equal(values, 0), pc.less_equal(values, MAX_STEPS_PER_MINUTE))
        self._count("steps_out_of_range", pc.sum(pc.invert(plausible)).as_py() or 0)
        return pc.if_else(plausible, values, None).cast(pa.int32())

    def _kinds(
        self,
        scheme: str | None,
        device_ids: list[int],
        raw_kinds: list[Any],
        values: dict[str, list[Any]],
        previous_kind: dict[int, str],
    ) -> list[str]:
        if scheme == "activity_kind_codes":
            return [ACTIVITY_KIND_CODES.get(k, ACTIVITY if _is_sport_code(k) else UNKNOWN) for k in raw_kinds]
        if scheme == "huami_extended":
            deep = values.get("DEEP_SLEEP", [None] * len(raw_kinds))
            rem = values.get("REM_SLEEP", [None] * len(raw_kinds))
            return [_huami_extended_kind(k, d, r) for k, d, r in zip(raw_kinds, deep, rem, strict=True)]
        if scheme != "huami":
            return [UNKNOWN] * len(raw_kinds)
        kinds = []
        for device, raw in zip(device_ids, raw_kinds, strict=True):
            if device in self.mi_band_1:
                kinds.append(MI_BAND_1_KINDS.get(raw, UNKNOWN))
                continue
            if not isinstance(raw, int) or raw == -1:
                kinds.append(UNKNOWN)
                continue
            low_bits = raw & 0x0F
            if low_bits in HUAMI_REPEAT_PREVIOUS:
                kinds.append(previous_kind.get(device, UNKNOWN))
                continue
            kind = HUAMI_KINDS.get(low_bits, UNKNOWN)
            previous_kind[device] = kind
            kinds.append(kind)
        return kinds

    # ----------------------------------------------------------------------------------------------- sleep

    def sleep_stages(self) -> pa.Table | None:
        columns = self.tables.get(SLEEP_STAGE_TABLE, [])
        if not {"TIMESTAMP", "DEVICE_ID", "STAGE"} <= set(columns):
            return None
        batches = []
        cursor = self.connection.execute(
            f'select "DEVICE_ID", "TIMESTAMP", "STAGE" from "{SLEEP_STAGE_TABLE}" order by "TIMESTAMP", "DEVICE_ID"'
        )
        for rows in _chunks(cursor):
            devices, times, stages = (list(column) for column in zip(*rows, strict=True))
            batches.append(
                pa.RecordBatch.from_pydict(
                    {
                        "sample_table": pa.array([SLEEP_STAGE_TABLE] * len(rows), pa.string()),
                        "device_key": pa.array([self._device_key(d) for d in devices], pa.string()),
                        "timestamp": pa.array([_from_millis(t) for t in times], pa.timestamp("us", tz="UTC")),
                        "raw_stage": pa.array(_integers(stages), pa.int64()),
                        "stage": pa.array([XIAOMI_SLEEP_STAGES.get(v) for v in stages], pa.string()),
                    }
                )
            )
        return pa.Table.from_batches(batches) if batches else None

    def sleep_times(self) -> pa.Table | None:
        columns = self.tables.get(SLEEP_TIME_TABLE, [])
        if not {"TIMESTAMP", "DEVICE_ID", "WAKEUP_TIME"} <= set(columns):
            return None
        wanted = [c for c in SLEEP_TIME_COLUMNS if c in columns]
        select = ", ".join(f'"{c}"' for c in ("DEVICE_ID", *wanted))
        rows = []
        for chunk in _chunks(self.connection.execute(f'select {select} from "{SLEEP_TIME_TABLE}"')):
            for device, *values in chunk:
                fields = dict(zip((SLEEP_TIME_COLUMNS[c] for c in wanted), values, strict=True))
                fields["bed_time"] = _from_millis(fields["bed_time"])
                fields["wakeup_time"] = _from_millis(fields["wakeup_time"])
                if "is_awake" in fields:
                    fields["is_awake"] = None if fields["is_awake"] is None else bool(fields["is_awake"])
                rows.append({"device_key": self._device_key(device), **fields})
        if not rows:
            return None
        types = {
            "bed_time": pa.timestamp("us", tz="UTC"),
            "wakeup_time": pa.timestamp("us", tz="UTC"),
            "is_awake": pa.bool_(),
        }
        schema = pa.schema(
            [("device_key", pa.string())]
            + [(name, types.get(name, pa.int64())) for name in SLEEP_TIME_COLUMNS.values() if name in rows[0]]
        )
        return pa.Table.from_pylist(rows, schema=schema)

    # -------------------------------------------------------------------------------------------- workouts

    def summaries(self) -> pa.Table | None:
        columns = self.tables.get(SUMMARY_TABLE)
        if not columns or not {"START_TIME", "END_TIME", "DEVICE_ID"} <= set(columns):
            return None
        wanted = [
            c
            for c in (
                "_id",
                "NAME",
                "START_TIME",
                "END_TIME",
                "ACTIVITY_KIND",
                "DEVICE_ID",
                "USER_ID",
                "GPX_TRACK",
                "SUMMARY_DATA",
            )
            if c in columns
        ]
        select = ", ".join(f'"{c}"' for c in wanted)
        rows = []
        cursor = self.connection.execute(f'select {select} from "{SUMMARY_TABLE}" order by "START_TIME"')
        for chunk in _chunks(cursor):
            for row in chunk:
                fields = dict(zip(wanted, row, strict=True))
                key = self._device_key(fields["DEVICE_ID"])
                start, end = _from_millis(fields["START_TIME"]), _from_millis(fields["END_TIME"])
                rows.append(
                    {
                        "summary_key": blake2b(
                            f"{key}\x1f{fields['START_TIME']}".encode(), digest_size=12
                        ).hexdigest(),
                        "device_key": key,
                        "summary_id": fields.get("_id"),
                        "name": fields.get("NAME"),
                        "start_time": start,
                        "end_time": end,
                        "activity_kind": fields.get("ACTIVITY_KIND"),
                        "user_id": fields.get("USER_ID"),
                        "gpx_track": fields.get("GPX_TRACK"),
                        "summary_data": fields.get("SUMMARY_DATA"),
                    }
                )
        if not rows:
            return None
        schema = pa.schema(
            [
                ("summary_key", pa.string()),
                ("device_key", pa.string()),
                ("summary_id", pa.int64()),
                ("name", pa.string()),
                ("start_time", pa.timestamp("us", tz="UTC")),
                ("end_time", pa.timestamp("us", tz="UTC")),
                ("activity_kind", pa.int64()),
                ("user_id", pa.int64()),
                ("gpx_track", pa.string()),
                ("summary_data", pa.string()),
            ]
        )
        return pa.Table.from_pylist(rows, schema=schema)


def _integers(values: list[Any]) -> list[int | None]:
    return [v if isinstance(v, int) else None for v in values]


def _int_column(values: list[Any]) -> pa.Array:
    """Integers as Arrow int64; whatever else SQLite's loose typing let in (text, blobs, reals) is NULL."""
    try:
        return pa.array(values, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return pa.array(
            [v if isinstance(v, int) and -(2**63) <= v < 2**63 else None for v in values], pa.int64()
        )


def _is_sport_code(code: Any) -> bool:
    return isinstance(code, int) and (16 <= code <= 0x00800000 or code >= 0x04000000)


def _huami_extended_kind(raw: Any, deep: Any, rem: Any) -> str:
    if raw == HUAMI_EXTENDED_SLEEP:
        if isinstance(rem, int) and (rem & 127) > 55:
            return REM
        if isinstance(deep, int) and (deep & 127) > 42:
            return DEEP
        return LIGHT
    return HUAMI_EXTENDED_KINDS.get(raw, UNKNOWN)


def _from_millis(value: Any) -> datetime | None:
    if not isinstance(value, int):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def decode_gadgetbridge(path: str | Path) -> DecodedFile:
    """Decode a Gadgetbridge database file. Never raises on bad input: an SQLite file that is not Gadgetbridge's
    or cannot be read is quarantined with the reason; damage found after some tables were read keeps those
    (``partial``), with the table where it was found."""
    path = Path(path)
    try:
        connection = _connect(path)
    except sqlite3.Error as exc:
        return quarantined("gadgetbridge", f"damaged SQLite database: {exc}", PARSER, PARSER_VERSION)
    try:
        return _decode(connection)
    finally:
        connection.close()


def _decode(connection: sqlite3.Connection) -> DecodedFile:
    try:
        tables = _tables(connection)
        schema_version = connection.execute("pragma user_version").fetchone()[0]
    except sqlite3.Error as exc:
        return quarantined(
            "gadgetbridge",
            f"damaged SQLite database (its table list is unreadable): {exc}",
            PARSER,
            PARSER_VERSION,
        )
    why_not = why_not_gadgetbridge(tables)
    if why_not is not None:
        return quarantined("gadgetbridge", why_not, PARSER, PARSER_VERSION)

    decoder = _Decoder(connection, tables)
    decoded = DecodedFile("gadgetbridge", "imported", None, PARSER, PARSER_VERSION)
    damage: list[str] = []
    try:
        decoded.tables["device"] = decoder.devices()
    except sqlite3.Error as exc:
        return quarantined(
            "gadgetbridge",
            f"damaged Gadgetbridge database: DEVICE table unreadable: {exc}",
            PARSER,
            PARSER_VERSION,
        )
    batches: list[pa.RecordBatch] = []
    for table in _sample_tables(tables):
        read: list[pa.RecordBatch] = []
        try:
            read.extend(decoder.samples(table))
        except sqlite3.Error as exc:
            kept = sum(batch.num_rows for batch in read)
            damage.append(f"{table} is damaged after {kept} rows ({exc})")
        batches.extend(read)
    if batches:
        decoded.tables["activity_sample"] = pa.Table.from_batches(batches).unify_dictionaries()
    for name, read_table, source in (
        ("sleep_stage_sample", decoder.sleep_stages, SLEEP_STAGE_TABLE),
        ("sleep_time_sample", decoder.sleep_times, SLEEP_TIME_TABLE),
    ):
        try:
            table = read_table()
        except sqlite3.Error as exc:
            table = None
            damage.append(f"{source} is unreadable ({exc})")
        if table is not None:
            decoded.tables[name] = table
    try:
        summaries = decoder.summaries()
    except sqlite3.Error as exc:
        summaries = None
        damage.append(f"{SUMMARY_TABLE} is unreadable ({exc})")
    if summaries is not None:
        decoded.tables["activity_summary"] = summaries
    latest = decoder.latest_sample
    decoded.tables["export"] = pa.table(
        {
            "schema_version": pa.array([schema_version], pa.int64()),
            "latest_sample_at": pa.array([None if latest is None else latest * 1_000_000], pa.int64()).cast(
                pa.timestamp("us", tz="UTC")
            ),
            "device_count": pa.array([decoded.tables["device"].num_rows], pa.int64()),
        }
    )
    decoded.nulled = dict(decoder.nulled)
    if damage:
        decoded.status = "partial"
        decoded.reason = "damaged Gadgetbridge database: " + "; ".join(damage) + "; the rows before are kept"
    return decoded


def decode_gadgetbridge_bytes(data: bytes) -> DecodedFile:
    """The same from bytes (SQLite reads files): through a temporary copy, removed afterwards."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".sqlite") as copy:
        copy.write(data)
        copy.flush()
        return decode_gadgetbridge(copy.name)
