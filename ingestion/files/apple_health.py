"""Apple Health ``export.xml``, streamed: records, workouts (events, statistics, metadata, routes) and devices.

Apple exports are 1-4 GB of XML, so the file is never held in memory: expat is fed 1 MB chunks and only the
elements we keep are turned into rows, which go to Arrow every ``BATCH_ROWS`` records (the Arrow form is a
few tens of bytes a record: repeated strings are dictionary-encoded, dates are timestamps).

Safety: the export carries a DTD of its own (element and attribute declarations, no entities); any entity
declaration or external reference is refused, so entity expansion and network access are off.

Tables (``raw_files.apple_health_<name>``):

* ``record``: every top-level ``Record`` (``Record`` inside a ``Correlation`` repeats a top-level one, as
  Apple's DTD says, and is skipped): ``type``, ``source_name``, ``source_version``, ``device_key``, ``unit``,
  ``value`` (text as written: a number, or a category such as ``HKCategoryValueSleepAnalysisAsleepCore``),
  ``value_num`` (the number, when it is one), ``start_date`` / ``end_date`` / ``creation_date`` (UTC) with
  ``*_offset_min`` (the local UTC offset written next to each date, in minutes), ``metadata`` (JSON of its
  ``MetadataEntry`` children, e.g. ``HKTimeZone``), ``record_key`` (content identity, see below);
* ``workout``, ``workout_event``, ``workout_statistics``, ``workout_route`` (the GPX paths it references),
  linked by ``workout_key``;
* ``activity_summary``: the daily rings (``ActivitySummary``);
* ``device``: one row per real device (``device_key``, name, manufacturer, model, hardware, software);
* ``export``: locale, export date and the ``Me`` characteristics.

Devices: HKDevice strings carry the object's memory address (``<<HKDevice: 0x3012772a0>, name:...``), which
changes between exports and even between records. The key is built from name, manufacturer, model and
hardware only, so one watch stays one device across records and exports, and a phone (model iPhone) and a
watch (model Watch) stay apart.

Re-import: ``record_key`` is a hash of type, source, device key, unit and the start and end dates as written
(not the value and not the creation date), so the same measurement has the same key in every export, and an
edited value (a corrected weight) keeps its key and replaces the old value instead of doubling it.
``workout_key`` is the same for workouts.
"""

from __future__ import annotations

import hashlib
import json
import re
from pyexpat import ExpatError, ParserCreate, errors
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from ingestion.files.model import DecodedFile, quarantined

PARSER = "openfit-apple-health"
PARSER_VERSION = "1"
ROOT_ELEMENT = "HealthData"
BATCH_ROWS = 200_000
READ_CHUNK = 1 << 20

_DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"
_LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"
_NUMBER = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
# Fields of an HKDevice description: "name:Apple Watch, manufacturer:Apple Inc., hardware:Watch6,7, ..."
_DEVICE_FIELD = re.compile(r"(\w+):(.*?)(?=, \w+:|>\s*$|$)")
DEVICE_IDENTITY = ("name", "manufacturer", "model", "hardware")

RECORD_ATTRIBUTES = (
    "type",
    "sourceName",
    "sourceVersion",
    "unit",
    "value",
    "startDate",
    "endDate",
    "creationDate",
)
WORKOUT_ATTRIBUTES = {
    "workoutActivityType": "activity_type",
    "duration": "duration",
    "durationUnit": "duration_unit",
    "totalDistance": "total_distance",
    "totalDistanceUnit": "total_distance_unit",
    "totalEnergyBurned": "total_energy_burned",
    "totalEnergyBurnedUnit": "total_energy_burned_unit",
    "sourceName": "source_name",
    "sourceVersion": "source_version",
    "startDate": "start_date",
    "endDate": "end_date",
    "creationDate": "creation_date",
}
NUMERIC_WORKOUT_COLUMNS = ("duration", "total_distance", "total_energy_burned")


class UnsafeExportError(ValueError):
    pass


def content_key(*parts: str | None) -> str:
    """A short stable hash of the parts (None and '' differ from each other and from any text)."""
    joined = "\x1f".join("\x00" if part is None else part for part in parts)
    return hashlib.blake2b(joined.encode("utf-8"), digest_size=12).hexdigest()


def parse_device(description: str | None) -> dict[str, str] | None:
    """An HKDevice description -> its fields, without the memory address; None when there is no device.

    Some sources write a bare name ("<Watch6,4>" or "iPhone") instead of the HKDevice form: it becomes the
    name."""
    if not description:
        return None
    text = description.strip()
    if "HKDevice" in text:
        text = text.split(">", 1)[1] if ">" in text else text  # drop "<<HKDevice: 0x...>"
        fields = {key: value.strip() for key, value in _DEVICE_FIELD.findall(text.lstrip(", "))}
    else:
        fields = {"name": text.strip("<> ")}
    return {key: value for key, value in fields.items() if value} or None


def device_key(fields: dict[str, str]) -> str:
    return "apple:" + content_key(*(fields.get(name, "").lower() for name in DEVICE_IDENTITY))


class _Collector:
    """Expat handlers that collect the rows we keep; Arrow batches are cut every BATCH_ROWS records."""

    def __init__(self) -> None:
        self.records: list[tuple] = []
        self.record_batches: list[pa.RecordBatch] = []
        self.record_count = 0
        self.pending_record: tuple | None = None
        self.pending_metadata: dict[str, str] | None = None
        self.devices: dict[str, dict[str, str]] = {}  # device_key -> fields
        self.device_keys: dict[str | None, str | None] = {None: None, "": None}  # raw description -> key
        self.workouts: list[dict] = []
        self.workout: dict | None = None
        self.workout_events: list[dict] = []
        self.workout_statistics: list[dict] = []
        self.workout_routes: list[dict] = []
        self.activity_summaries: list[dict] = []
        self.export: dict[str, str | None] = {}
        self.correlation_depth = 0
        self.skipped_in_correlations = 0

    # ------------------------------------------------------------------------------------------ handlers

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if name == "Record":
            if self.correlation_depth:  # a copy of a top-level record (Apple's DTD says so)
                self.skipped_in_correlations += 1
                return
            get = attributes.get
            self.pending_record = (
                get("type"),
                get("sourceName"),
                get("sourceVersion"),
                self._device(get("device")),
                get("unit"),
                get("value"),
                get("startDate"),
                get("endDate"),
                get("creationDate"),
            )
            self.pending_metadata = None
        elif name == "MetadataEntry":
            target = self._metadata_target()
            if target is not None:
                target[attributes.get("key", "")] = attributes.get("value", "")
        elif name == "Workout":
            self.workout = {column: attributes.get(attr) for attr, column in WORKOUT_ATTRIBUTES.items()}
            self.workout["device_key"] = self._device(attributes.get("device"))
            self.workout["metadata"] = {}
            self.workout["events"] = []
            self.workout["statistics"] = []
            self.workout["routes"] = []
        elif self.workout is not None and name == "WorkoutEvent":
            self.workout["events"].append(
                {
                    "type": attributes.get("type"),
                    "date": attributes.get("date"),
                    "duration": attributes.get("duration"),
                    "duration_unit": attributes.get("durationUnit"),
                }
            )
        elif self.workout is not None and name == "WorkoutStatistics":
            self.workout["statistics"].append(
                {
                    "type": attributes.get("type"),
                    "start_date": attributes.get("startDate"),
                    "end_date": attributes.get("endDate"),
                    "average": attributes.get("average"),
                    "minimum": attributes.get("minimum"),
                    "maximum": attributes.get("maximum"),
                    "sum": attributes.get("sum"),
                    "unit": attributes.get("unit"),
                }
            )
        elif self.workout is not None and name == "FileReference":
            self.workout["routes"].append(attributes.get("path"))
        elif name == "Correlation":
            self.correlation_depth += 1
        elif name == "ActivitySummary":
            self.activity_summaries.append(dict(attributes))
        elif name == "ExportDate":
            self.export["export_date"] = attributes.get("value")
        elif name == "Me":
            self.export.update({f"me_{key}": value for key, value in attributes.items()})
        elif name == ROOT_ELEMENT:
            self.export["locale"] = attributes.get("locale")

    def end(self, name: str) -> None:
        if name == "Record" and self.pending_record is not None and not self.correlation_depth:
            metadata = None if self.pending_metadata is None else json.dumps(self.pending_metadata)
            self.records.append((*self.pending_record, metadata))
            self.pending_record = None
            self.pending_metadata = None
            if len(self.records) >= BATCH_ROWS:
                self.flush_records()
        elif name == "Workout" and self.workout is not None:
            self._finish_workout(self.workout)
            self.workout = None
        elif name == "Correlation":
            self.correlation_depth -= 1

    def _metadata_target(self) -> dict[str, str] | None:
        if self.pending_record is not None:
            if self.pending_metadata is None:
                self.pending_metadata = {}
            return self.pending_metadata
        if self.workout is not None:
            return self.workout["metadata"]
        return None

    def _device(self, description: str | None) -> str | None:
        key = self.device_keys.get(description, "?")
        if key != "?":
            return key
        fields = parse_device(description)
        key = None if fields is None else device_key(fields)
        if key is not None:
            self.devices.setdefault(key, fields)  # type: ignore[arg-type]
        self.device_keys[description] = key
        return key

    def _finish_workout(self, workout: dict) -> None:
        key = content_key(
            workout["activity_type"],
            workout["source_name"],
            workout["device_key"],
            workout["start_date"],
            workout["end_date"],
        )
        for event in workout.pop("events"):
            self.workout_events.append({"workout_key": key, **event})
        for statistic in workout.pop("statistics"):
            self.workout_statistics.append({"workout_key": key, **statistic})
        for path in workout.pop("routes"):
            self.workout_routes.append({"workout_key": key, "path": path})
        metadata = workout.pop("metadata")
        self.workouts.append(
            {"workout_key": key, **workout, "metadata": json.dumps(metadata) if metadata else None}
        )

    # ------------------------------------------------------------------------------------------- Arrow

    def flush_records(self) -> None:
        if not self.records:
            return
        columns = list(zip(*self.records, strict=True))
        self.records = []
        (types, sources, versions, devices, units, values, starts, ends, creations, metadata) = columns
        keys = [
            content_key(t, s, d, u, a, b)
            for t, s, d, u, a, b in zip(types, sources, devices, units, starts, ends, strict=True)
        ]
        value_text = pa.array(values, pa.string())
        is_number = pc.fill_null(pc.match_substring_regex(value_text, _NUMBER), False)
        value_num = pc.cast(pc.if_else(is_number, value_text, None), pa.float64())
        start, start_offset = _dates(starts)
        end, end_offset = _dates(ends)
        created, created_offset = _dates(creations)
        first = self.record_count
        count = len(types)
        batch = pa.RecordBatch.from_pydict(
            {
                "record_key": pa.array(keys, pa.string()),
                "type": _repeated(types),
                "source_name": _repeated(sources),
                "source_version": _repeated(versions),
                "device_key": _repeated(devices),
                "unit": _repeated(units),
                "value": value_text,
                "value_num": value_num,
                "start_date": start,
                "start_offset_min": start_offset,
                "end_date": end,
                "end_offset_min": end_offset,
                "creation_date": created,
                "creation_offset_min": created_offset,
                "metadata": pa.array(metadata, pa.string()),
                "row_index": pa.array(range(first, first + count), pa.int64()),
            }
        )
        self.record_batches.append(batch)
        self.record_count += count

    def tables(self) -> dict[str, pa.Table]:
        self.flush_records()
        tables: dict[str, pa.Table] = {}
        if self.record_batches:
            tables["record"] = pa.Table.from_batches(self.record_batches)
        if self.workouts:
            tables["workout"] = _workout_table(self.workouts)
        if self.workout_events:
            tables["workout_event"] = _with_dates(self.workout_events, ("date",), ("duration",))
        if self.workout_statistics:
            tables["workout_statistics"] = _with_dates(
                self.workout_statistics, ("start_date", "end_date"), ("average", "minimum", "maximum", "sum")
            )
        if self.workout_routes:
            tables["workout_route"] = pa.Table.from_pylist(self.workout_routes)
        if self.activity_summaries:
            tables["activity_summary"] = _activity_summary_table(self.activity_summaries)
        if self.devices:
            tables["device"] = pa.Table.from_pylist(
                [
                    {"device_key": key, **{f: fields.get(f) for f in (*DEVICE_IDENTITY, "software")}}
                    for key, fields in self.devices.items()
                ]
            )
        if self.export:
            tables["export"] = _export_table(self.export)
        return tables


def _repeated(values: tuple) -> pa.Array:
    """Strings that repeat (type, source, unit, device): dictionary-encoded while decoding (a few bytes a
    row), plain text in the table given to the loader."""
    return pa.array(values, pa.string()).dictionary_encode().cast(pa.string())


def _dates(texts: tuple | list) -> tuple[pa.Array, pa.Array]:
    """Apple's "2024-01-01 01:01:36 +0200" -> (UTC timestamp, offset in minutes), vectorised."""
    raw = pa.array(texts, pa.string())
    utc = pc.strptime(raw, format=_DATE_FORMAT, unit="s", error_is_null=True)
    local = pc.strptime(
        pc.utf8_slice_codeunits(raw, 0, 19), format=_LOCAL_FORMAT, unit="s", error_is_null=True
    )
    naive_utc = utc.cast(pa.timestamp("s"))
    offset_s = pc.cast(pc.subtract(local, naive_utc), pa.int64())
    offset_min = pc.cast(pc.divide(offset_s, 60), pa.int32())
    return utc.cast(pa.timestamp("us", tz="UTC")), offset_min


def _with_dates(rows: list[dict], date_columns: tuple[str, ...], numeric: tuple[str, ...]) -> pa.Table:
    table = pa.Table.from_pylist(rows)
    for column in date_columns:
        if column in table.column_names:
            at = table.schema.get_field_index(column)
            utc, offset = _dates(table.column(column).to_pylist())
            table = table.set_column(at, column, utc).append_column(
                f"{column.removesuffix('_date')}_offset_min"
                if column.endswith("_date")
                else f"{column}_offset_min",
                offset,
            )
    for column in numeric:
        if column in table.column_names:
            at = table.schema.get_field_index(column)
            table = table.set_column(at, column, _numbers(table.column(column).to_pylist()))
    return table


def _numbers(texts: list) -> pa.Array:
    values = pa.array(texts, pa.string())
    is_number = pc.fill_null(pc.match_substring_regex(values, _NUMBER), False)
    return pc.cast(pc.if_else(is_number, values, None), pa.float64())


def _workout_table(workouts: list[dict]) -> pa.Table:
    return _with_dates(workouts, ("start_date", "end_date", "creation_date"), NUMERIC_WORKOUT_COLUMNS)


def _activity_summary_table(rows: list[dict]) -> pa.Table:
    renamed = [
        {re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower(): value for key, value in row.items()} for row in rows
    ]
    table = pa.Table.from_pylist(renamed)
    for column in table.column_names:
        if column not in ("date_components",) and not column.endswith("_unit"):
            table = table.set_column(
                table.schema.get_field_index(column), column, _numbers(table.column(column).to_pylist())
            )
    return table


def _export_table(export: dict[str, str | None]) -> pa.Table:
    table = pa.Table.from_pylist([{key.lower(): value for key, value in export.items()}])
    if "export_date" in table.column_names:
        utc, offset = _dates(table.column("export_date").to_pylist())
        at = table.schema.get_field_index("export_date")
        table = table.set_column(at, "export_date", utc).append_column("export_offset_min", offset)
    return table


def _refuse_entity(*args: object) -> None:
    raise UnsafeExportError(f"refused: export.xml declares entity {args[0]!r} (entity expansion is refused)")


def _refuse_external(*args: object) -> int:
    raise UnsafeExportError("refused: export.xml references an external resource (XXE protection)")


def decode_apple_health(stream: BinaryIO, size: int | None = None) -> DecodedFile:
    """Decode an Apple Health export.xml from a binary stream, in bounded memory.

    A truncated or damaged file is ``partial``: everything before the damage is kept, and the reason says
    where it is. An entity declaration or external reference quarantines the file."""
    collector = _Collector()
    parser = ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = collector.start
    parser.EndElementHandler = collector.end
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_external
    parser.SetParamEntityParsing(0)  # XML_PARAM_ENTITY_PARSING_NEVER: no external DTD is ever read

    damage: str | None = None
    try:
        while chunk := stream.read(READ_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except UnsafeExportError as exc:
        return quarantined("apple_health", str(exc), PARSER, PARSER_VERSION)
    except ExpatError as exc:
        where = f"line {exc.lineno}, column {exc.offset}, byte {parser.CurrentByteIndex}"
        damage = f"export.xml is truncated or damaged at {where} ({errors.messages[exc.code]})"

    decoded = DecodedFile("apple_health", "imported", None, PARSER, PARSER_VERSION)
    decoded.tables = collector.tables()
    if "locale" not in collector.export and not decoded.tables.get("record"):
        return quarantined(
            "apple_health",
            damage or "not an Apple Health export: no <HealthData> root",
            PARSER,
            PARSER_VERSION,
        )
    if damage is not None:
        decoded.status = "partial"
        decoded.reason = f"{damage}; the {collector.record_count} records and {len(collector.workouts)} workouts before it are kept"
    if collector.skipped_in_correlations:
        decoded.warnings.append(
            f"{collector.skipped_in_correlations} records inside correlations skipped (they repeat top-level records)"
        )
    return decoded
