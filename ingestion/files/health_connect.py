"""Android Health Connect exports (Settings > Health Connect > Export): one SQLite copy of the store, read in
bounded memory.

The export is a zip holding ``health_connect_export.db``; the walker stores the database out of the zip (the
blob is the temporary copy SQLite needs: it cannot read inside a zip) and this module reads that file. It is
recognised by content: an SQLite database with Health Connect's ``application_info_table`` and at least one of
its ``<type>_record_table`` tables (AOSP HealthFitness, ``storage/datatypehelpers/*RecordHelper.java``),
whatever the zip and the database are called. The file is opened read-only and immutable and every table is
read through a cursor in chunks of ``CHUNK_ROWS`` rows that become Arrow arrays, so Python objects of one chunk
at most are alive at a time (the decoded Arrow tables are the result and stay in memory, ~60 bytes a row).

Tables (``raw_files.health_connect_<name>``):

* ``record``: one row per record of every table this module reads (``RECORD_TABLES``): ``record_type``
  (``steps``, ``heart_rate``, ``sleep_session``, ...), ``uuid`` (the record's id, hex), ``app_package`` (the
  data origin: the package of the app that wrote it), ``device_key`` (see below), ``start_time`` /
  ``end_time`` (UTC; instant records have equal start and end) with ``start_offset_s`` / ``end_offset_s``
  (the zone offsets Health Connect stores, seconds), ``value`` and ``unit`` as stored (grams for masses,
  small calories for energy, see ``VALUE_RECORDS``), ``last_modified_time`` (UTC), ``recording_method``
  (unknown | actively_recorded | automatically_recorded | manual_entry), ``client_record_id``, and for
  sessions ``title``, ``notes``, ``exercise_type`` (its number) and ``sport`` (its name);
* ``heart_rate_sample``: the samples of heart-rate series records (``time`` UTC, ``beats_per_minute``);
* ``sleep_stage``: a sleep session's stages (``start_time``, ``end_time``, ``stage_type`` and ``stage``:
  awake | sleeping | out_of_bed | light | deep | rem | awake_in_bed | unknown);
* ``exercise_route``: an exercise session's route (``time``, ``latitude``, ``longitude``, ``altitude`` m,
  accuracies m); ``exercise_lap`` (start, end, ``length_m``); ``exercise_segment`` (start, end, type,
  repetitions);
  every child row carries ``record_uuid`` and ``last_modified_time`` of the record it belongs to;
* ``device``: one row per app and device pair (``device_key``, ``app_package``, ``app_name``,
  ``manufacturer``, ``model``, ``device_type``);
* ``export``: one row per file: the SQLite ``user_version``, the record tables found, the latest
  ``last_modified_time``.

Devices: ``device_key`` is ``hc:`` + a hash of the app package and the device's manufacturer, model and type,
so the same watch through the same app keeps its key in every export (the store's row ids do not survive a
reinstall), and the phone app's own counts stay apart from a watch's.

Re-import (``health_connect_reimport``): a record is the same when its ``uuid`` and ``last_modified_time`` are;
an edited record keeps its uuid with a newer ``last_modified_time`` and staging keeps the newest version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from hashlib import blake2b
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ingestion.files.model import DecodedFile, quarantined
from ingestion.files.sqlite_formats import Tables, connect_read_only, describe_tables, table_columns

PARSER = "openfit-health-connect"
PARSER_VERSION = "1"
FORMAT = "health_connect"
CHUNK_ROWS = 50_000  # rows fetched from a cursor at once

APP_TABLE = "application_info_table"
DEVICE_TABLE = "device_info_table"

# record table -> (record_type, value column, unit as stored). Health Connect stores masses in grams, energy
# in small calories, lengths in metres, percentages as 0-100.
VALUE_RECORDS: dict[str, tuple[str, str | None, str | None]] = {
    "steps_record_table": ("steps", "count", "count"),
    "distance_record_table": ("distance", "distance", "m"),
    "active_calories_burned_record_table": ("active_calories_burned", "energy", "cal"),
    "total_calories_burned_record_table": ("total_calories_burned", "energy", "cal"),
    "floors_climbed_record_table": ("floors_climbed", "floors", "count"),
    "elevation_gained_record_table": ("elevation_gained", "elevation", "m"),
    "weight_record_table": ("weight", "weight", "g"),
    "body_fat_record_table": ("body_fat", "percentage", "%"),
    "height_record_table": ("height", "height", "m"),
    "resting_heart_rate_record_table": ("resting_heart_rate", "beats_per_minute", "bpm"),
    "respiratory_rate_record_table": ("respiratory_rate", "rate", "breaths/min"),
    "oxygen_saturation_record_table": ("oxygen_saturation", "percentage", "%"),
    "heart_rate_variability_rmssd_record_table": (
        "heart_rate_variability_rmssd",
        "heart_rate_variability_millis",
        "ms",
    ),
    "vo2_max_record_table": ("vo2_max", "vo2_milliliters_per_minute_kilogram", "ml/kg/min"),
    # records whose data is in their child tables (series, stages, routes)
    "heart_rate_record_table": ("heart_rate", None, None),
    "sleep_session_record_table": ("sleep_session", None, None),
    "exercise_session_record_table": ("exercise_session", None, None),
}
RECORD_TABLES = tuple(VALUE_RECORDS)
SESSION_COLUMNS = ("title", "notes", "exercise_type")

# child table -> (parent record table, output table, {column: output column}, ordering column)
CHILD_TABLES: dict[str, tuple[str, str, dict[str, str], str]] = {
    "heart_rate_record_series_table": (
        "heart_rate_record_table",
        "heart_rate_sample",
        {"epoch_millis": "time", "beats_per_minute": "beats_per_minute"},
        "epoch_millis",
    ),
    "sleep_stages_table": (
        "sleep_session_record_table",
        "sleep_stage",
        {"stage_start_time": "start_time", "stage_end_time": "end_time", "stage_type": "stage_type"},
        "stage_start_time",
    ),
    "exercise_route_table": (
        "exercise_session_record_table",
        "exercise_route",
        {
            "timestamp_millis": "time",
            "latitude": "latitude",
            "longitude": "longitude",
            "altitude": "altitude",
            "horizontal_accuracy": "horizontal_accuracy",
            "vertical_accuracy": "vertical_accuracy",
        },
        "timestamp_millis",
    ),
    "exercise_laps_table": (
        "exercise_session_record_table",
        "exercise_lap",
        {"lap_start_time": "start_time", "lap_end_time": "end_time", "lap_length": "length_m"},
        "lap_start_time",
    ),
    "exercise_segments_table": (
        "exercise_session_record_table",
        "exercise_segment",
        {
            "segment_start_time": "start_time",
            "segment_end_time": "end_time",
            "segment_type": "segment_type",
            "repetitions_count": "repetitions",
        },
        "segment_start_time",
    ),
}
MILLIS_COLUMNS = frozenset({"time", "start_time", "end_time"})

# android.health.connect.datatypes constants
DEVICE_TYPES = {
    0: "unknown",
    1: "watch",
    2: "phone",
    3: "scale",
    4: "ring",
    5: "head_mounted",
    6: "fitness_band",
    7: "chest_strap",
    8: "smart_display",
}
RECORDING_METHODS = {0: "unknown", 1: "actively_recorded", 2: "automatically_recorded", 3: "manual_entry"}
SLEEP_STAGES = {
    0: "unknown",
    1: "awake",
    2: "sleeping",
    3: "out_of_bed",
    4: "light",
    5: "deep",
    6: "rem",
    7: "awake_in_bed",
}
# ExerciseSessionType: the common ones by name; others keep their number (sport 'other')
EXERCISE_TYPES = {
    8: "cycling",
    9: "indoor_cycling",
    25: "elliptical",
    36: "hiit",
    37: "hiking",
    53: "rowing",
    54: "indoor_rowing",
    56: "running",
    57: "treadmill_running",
    61: "alpine_skiing",
    70: "strength_training",
    73: "open_water_swimming",
    74: "pool_swimming",
    79: "walking",
    83: "yoga",
}


class NotHealthConnectError(ValueError):
    pass


def is_health_connect_schema(tables: Tables) -> bool:
    """Health Connect's store: its app table (with ``package_name``) and at least one of its record tables
    with the common record columns. Other SQLite exports (Gadgetbridge's DEVICE/USER/..._SAMPLE) never match."""
    if "package_name" not in tables.get(APP_TABLE, ()):
        return False
    return any(
        {"uuid", "app_info_id", "last_modified_time"} <= set(tables.get(name, ())) for name in RECORD_TABLES
    )


def device_key(app_package: str | None, manufacturer: Any, model: Any, device_type: Any) -> str:
    text = "\x1f".join(str(part) for part in (app_package, manufacturer, model, device_type))
    return "hc:" + blake2b(text.encode(), digest_size=10, person=b"openfit-hc").hexdigest()


def _millis_to_utc(values: list[Any]) -> pa.Array:
    return pa.array(values, pa.int64()).cast(pa.timestamp("ms", tz="UTC")).cast(pa.timestamp("us", tz="UTC"))


def _chunks(cursor: sqlite3.Cursor) -> Iterator[list[tuple]]:
    while rows := cursor.fetchmany(CHUNK_ROWS):
        yield rows


class _Decoder:
    def __init__(self, connection: sqlite3.Connection, tables: Tables) -> None:
        self.connection = connection
        self.tables = tables
        self.warnings: list[str] = []
        self.damaged: list[str] = []
        self.apps: dict[int, tuple[str | None, str | None]] = {}
        self.device_infos: dict[int, tuple[Any, Any, str]] = {}
        self.devices: dict[tuple[Any, Any], dict[str, Any]] = {}  # (app_info_id, device_info_id) -> row

    def read_apps_and_devices(self) -> None:
        app_columns = self.tables[APP_TABLE]
        name = '"app_name"' if "app_name" in app_columns else "NULL"
        for row_id, package, app_name in self.connection.execute(
            f'select "row_id", "package_name", {name} from "{APP_TABLE}"'
        ):
            self.apps[row_id] = (package, app_name)
        columns = self.tables.get(DEVICE_TABLE, [])
        if "row_id" in columns:
            picked = [f'"{c}"' if c in columns else "NULL" for c in ("manufacturer", "model", "device_type")]
            for row_id, manufacturer, model, kind in self.connection.execute(
                f'select "row_id", {", ".join(picked)} from "{DEVICE_TABLE}"'
            ):
                self.device_infos[row_id] = (manufacturer, model, DEVICE_TYPES.get(kind, "unknown"))

    def _device_key(self, app_id: Any, device_id: Any) -> str:
        pair = (app_id, device_id)
        row = self.devices.get(pair)
        if row is None:
            package, app_name = self.apps.get(app_id, (None, None))
            manufacturer, model, kind = self.device_infos.get(device_id, (None, None, "unknown"))
            row = {
                "device_key": device_key(package, manufacturer, model, kind),
                "app_package": package,
                "app_name": app_name,
                "manufacturer": manufacturer,
                "model": model,
                "device_type": kind,
            }
            self.devices[pair] = row
        return row["device_key"]

    # ------------------------------------------------------------------------------------------- records

    def records(self, table: str) -> Iterator[pa.Table]:
        record_type, value_column, unit = VALUE_RECORDS[table]
        columns = self.tables[table]
        interval = "start_time" in columns
        if not interval and "time" not in columns:
            self.warnings.append(f"{table}: neither start_time nor time, not read")
            return
        if value_column is not None and value_column not in columns:
            self.warnings.append(f"{table}: no {value_column} column, not read")
            return

        def pick(name: str) -> str:
            return f'"{name}"' if name in columns else "NULL"

        start, start_offset = ("start_time", "start_zone_offset") if interval else ("time", "zone_offset")
        end, end_offset = ("end_time", "end_zone_offset") if interval else ("time", "zone_offset")
        extras = [c for c in SESSION_COLUMNS if c in columns]
        select = ", ".join(
            [
                'lower(hex("uuid"))',
                pick("app_info_id"),
                pick("device_info_id"),
                pick(start),
                pick(start_offset),
                pick(end),
                pick(end_offset),
                pick(value_column) if value_column else "NULL",
                pick("last_modified_time"),
                pick("recording_method"),
                pick("client_record_id"),
                *(f'"{c}"' for c in extras),
            ]
        )
        cursor = self.connection.execute(f'select {select} from "{table}" order by "row_id"')
        for rows in _chunks(cursor):
            values = list(zip(*rows, strict=True))
            n = len(rows)
            arrays: dict[str, pa.Array] = {
                "record_type": pa.array([record_type] * n, pa.string()),
                "uuid": pa.array(values[0], pa.string()),
                "app_package": pa.array([self.apps.get(a, (None,))[0] for a in values[1]], pa.string()),
                "device_key": pa.array(
                    [self._device_key(a, d) for a, d in zip(values[1], values[2], strict=True)], pa.string()
                ),
                "start_time": _millis_to_utc(list(values[3])),
                "start_offset_s": pa.array(values[4], pa.int32()),
                "end_time": _millis_to_utc(list(values[5])),
                "end_offset_s": pa.array(values[6], pa.int32()),
                "value": pa.array(values[7], pa.float64()),
                "unit": pa.array([unit] * n, pa.string()),
                "last_modified_time": _millis_to_utc(list(values[8])),
                "recording_method": pa.array(
                    [RECORDING_METHODS.get(m, "unknown") for m in values[9]], pa.string()
                ),
                "client_record_id": pa.array(
                    [None if c is None else str(c) for c in values[10]], pa.string()
                ),
            }
            for position, name in enumerate(extras, start=11):
                if name == "exercise_type":
                    arrays["exercise_type"] = pa.array(values[position], pa.int32())
                    arrays["sport"] = pa.array(
                        [None if t is None else EXERCISE_TYPES.get(t, "other") for t in values[position]],
                        pa.string(),
                    )
                else:
                    arrays[name] = pa.array(values[position], pa.string())
            yield pa.table(arrays)

    def children(self, child: str) -> Iterator[pa.Table]:
        parent, _, mapping, order = CHILD_TABLES[child]
        columns = self.tables[child]
        present = [c for c in mapping if c in columns]
        if "parent_key" not in columns or order not in columns:
            self.warnings.append(f"{child}: no parent_key or {order} column, not read")
            return
        select = ", ".join(['lower(hex(p."uuid"))', 'p."last_modified_time"', *(f'c."{c}"' for c in present)])
        cursor = self.connection.execute(
            f'select {select} from "{child}" c join "{parent}" p on p."row_id" = c."parent_key" '
            f'order by c."parent_key", c."{order}"'
        )
        for rows in _chunks(cursor):
            values = list(zip(*rows, strict=True))
            arrays: dict[str, pa.Array] = {
                "record_uuid": pa.array(values[0], pa.string()),
                "last_modified_time": _millis_to_utc(list(values[1])),
            }
            for position, column in enumerate(present, start=2):
                name = mapping[column]
                if name in MILLIS_COLUMNS:
                    arrays[name] = _millis_to_utc(list(values[position]))
                elif name in ("stage_type", "segment_type", "beats_per_minute", "repetitions"):
                    arrays[name] = pa.array(values[position], pa.int32())
                else:
                    arrays[name] = pa.array(values[position], pa.float64())
            if "stage_type" in arrays:
                arrays["stage"] = pa.array(
                    [SLEEP_STAGES.get(s, "unknown") for s in values[2 + present.index("stage_type")]],
                    pa.string(),
                )
            yield pa.table(arrays)


def _collect(parts: Iterator[pa.Table], into: list[pa.Table], decoder: _Decoder, what: str) -> None:
    """Append `parts` to `into`; damage met part-way keeps what came before it (the file becomes partial)."""
    try:
        for part in parts:
            into.append(part)
    except sqlite3.DatabaseError as exc:
        decoder.damaged.append(f"{what}: {exc}")


def decode_health_connect(path: str | Path) -> DecodedFile:
    """Decode the Health Connect database at `path`. Never raises on bad input: a database whose tables
    cannot be read is quarantined; damage inside a table keeps the rows before it (status ``partial``)."""
    try:
        connection = connect_read_only(path)
    except sqlite3.Error as exc:
        return quarantined(FORMAT, f"damaged Health Connect database: {exc}", PARSER, PARSER_VERSION)
    try:
        try:
            tables = table_columns(connection)
            user_version = connection.execute("pragma user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            return quarantined(
                FORMAT,
                f"damaged SQLite database: its table list is unreadable ({exc})",
                PARSER,
                PARSER_VERSION,
            )
        if not is_health_connect_schema(tables):
            return quarantined(
                FORMAT,
                "not a Health Connect export: an SQLite database without Health Connect's "
                f"{APP_TABLE} and record tables (its tables: {describe_tables(tables)})",
                PARSER,
                PARSER_VERSION,
            )
        return _decode(connection, tables, user_version)
    finally:
        connection.close()


def _decode(connection: sqlite3.Connection, tables: Tables, user_version: int) -> DecodedFile:
    decoder = _Decoder(connection, tables)
    try:
        decoder.read_apps_and_devices()
    except sqlite3.DatabaseError as exc:
        return quarantined(
            FORMAT, f"damaged Health Connect database: {APP_TABLE} unreadable ({exc})", PARSER, PARSER_VERSION
        )
    record_parts: list[pa.Table] = []
    found = [name for name in RECORD_TABLES if name in tables]
    for name in found:
        _collect(decoder.records(name), record_parts, decoder, name)
    out: dict[str, pa.Table] = {}
    if record_parts:
        out["record"] = pa.concat_tables(record_parts, promote_options="default").combine_chunks()
    for child, (parent, output, _, _) in CHILD_TABLES.items():
        if child in tables and parent in tables:
            parts: list[pa.Table] = []
            _collect(decoder.children(child), parts, decoder, child)
            if parts:
                out[output] = pa.concat_tables(parts).combine_chunks()
    if decoder.devices:
        out["device"] = pa.Table.from_pylist(list(decoder.devices.values()))
    latest = None
    if "record" in out:
        latest = pc.max(out["record"].column("last_modified_time")).as_py()
    out["export"] = pa.table(
        {
            "user_version": pa.array([user_version], pa.int64()),
            "record_tables": pa.array([",".join(found)], pa.string()),
            "latest_modified_time": pa.array([latest], pa.timestamp("us", tz="UTC")),
        }
    )
    unread = sorted(name for name in tables if name.endswith("_record_table") and name not in VALUE_RECORDS)
    warnings = list(decoder.warnings)
    if unread:
        warnings.append(f"record tables kept out of raw_files (not read): {', '.join(unread)}")
    status = "partial" if decoder.damaged else "imported"
    reason = None
    if decoder.damaged:
        reason = f"damaged Health Connect database, rows before the damage kept: {'; '.join(decoder.damaged)}"
    return DecodedFile(FORMAT, status, reason, PARSER, PARSER_VERSION, out, {}, warnings)
