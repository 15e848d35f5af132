"""Apple Health ``export.xml``, streamed: records, workouts (events, statistics, metadata, routes) and devices.

Apple exports are 1-4 GB of XML, so the file is never held in memory: expat is fed 1 MB chunks, only start
tags are handled, and the records' attribute dicts go to Arrow every ``BATCH_ROWS`` records (about 100 bytes
of Arrow a record: repeated strings and metadata are dictionary-encoded, dates are timestamps). The decoded
tables themselves stay in memory (they are the decoder's result), so memory grows with the record count.

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

import json
import re
from hashlib import blake2b
from pyexpat import ExpatError, ParserCreate, errors
from typing import BinaryIO

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.files.model import DecodedFile, quarantined

PARSER = "openfit-apple-health"
PARSER_VERSION = "1"
ROOT_ELEMENT = "HealthData"
BATCH_ROWS = 20_000  # expat attribute dicts alive at once (~1.5 KB each) before they become Arrow
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
    """A short stable hash of the parts, joined with a unit separator (None is written "None", as the
    record keys' f-string does)."""
    return blake2b("\x1f".join(str(part) for part in parts).encode(), digest_size=12).hexdigest()


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
    """The expat start-element handler and the rows it collects; Arrow batches are cut every BATCH_ROWS.

    Speed matters (a 2 GB export is ~5 million records), so only start tags are handled: an end-tag handler
    would cost a Python call per element for nothing. A child element belongs to the last element that can
    hold it: ``MetadataEntry`` to the last ``Record`` or ``Workout`` (or to the ``Correlation`` or
    ``WorkoutRoute`` just opened, whose metadata is not kept), workout parts to the last ``Workout``.
    ``Record`` elements inside a ``Correlation`` repeat top-level records (Apple's DTD says so) and are
    skipped: they are the records right after a ``Correlation`` start with its source and its dates."""

    def __init__(self) -> None:
        self.records: list[tuple] = []
        self.record_metadata: dict[int, dict[str, str]] = {}  # position in self.records -> entries
        self.metadata_target: dict[str, str] | None = None
        self.record_batches: list[pa.RecordBatch] = []
        self.record_count = 0
        self.repeated_records = 0
        self.correlation: tuple[str | None, str | None, str | None] | None = None  # source, start, end
        self.devices: dict[str, dict[str, str]] = {}  # device_key -> fields
        self.device_keys: dict[str, str | None] = {}  # description without its address -> key
        self.workouts: list[dict] = []
        self.workout: dict | None = None
        self.activity_summaries: list[dict] = []
        self.export: dict[str, str | None] = {}
        self.elements = {
            "MetadataEntry": self._metadata_entry,
            "Workout": self._workout,
            "WorkoutEvent": self._workout_event,
            "WorkoutStatistics": self._workout_statistics,
            "WorkoutRoute": self._unkept_metadata,
            "FileReference": self._file_reference,
            "Correlation": self._correlation,
            "ActivitySummary": self._activity_summary,
            "ExportDate": self._export_date,
            "Me": self._me,
            ROOT_ELEMENT: self._root,
        }

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if name == "Record":
            get = attributes.get
            if self.correlation is not None:
                if self.correlation == (get("sourceName"), get("startDate"), get("endDate")):
                    self.repeated_records += 1
                    self.metadata_target = {}
                    return
                self.correlation = None
            self.records.append(attributes)  # expat's own dict: Arrow reads it in C++ at the flush
            self.metadata_target = None
            if len(self.records) >= BATCH_ROWS:
                self.flush_records()
            return
        handler = self.elements.get(name)
        if handler is not None:
            if name != "MetadataEntry":
                self.correlation = None
            handler(attributes)

    def _metadata_entry(self, attributes: dict[str, str]) -> None:
        target = self.metadata_target
        if target is None:
            if not self.records:
                return
            target = self.metadata_target = self.record_metadata.setdefault(len(self.records) - 1, {})
        target[attributes.get("key", "")] = attributes.get("value", "")

    def _correlation(self, attributes: dict[str, str]) -> None:
        self.correlation = (
            attributes.get("sourceName"),
            attributes.get("startDate"),
            attributes.get("endDate"),
        )
        self.metadata_target = {}  # its own metadata is not kept

    def _unkept_metadata(self, attributes: dict[str, str]) -> None:
        self.metadata_target = {}  # a Correlation's or WorkoutRoute's own metadata: not kept

    def _workout(self, attributes: dict[str, str]) -> None:
        workout = {column: attributes.get(attr) for attr, column in WORKOUT_ATTRIBUTES.items()}
        workout["device_key"] = self._device(attributes.get("device"))
        workout["workout_key"] = content_key(
            workout["activity_type"],
            workout["source_name"],
            workout["device_key"],
            workout["start_date"],
            workout["end_date"],
        )
        workout.update(metadata={}, events=[], statistics=[], routes=[])
        self.workouts.append(workout)
        self.workout = workout
        self.metadata_target = workout["metadata"]

    def _workout_event(self, attributes: dict[str, str]) -> None:
        if self.workout is not None:
            self.workout["events"].append(
                {
                    "type": attributes.get("type"),
                    "date": attributes.get("date"),
                    "duration": attributes.get("duration"),
                    "duration_unit": attributes.get("durationUnit"),
                }
            )

    def _workout_statistics(self, attributes: dict[str, str]) -> None:
        if self.workout is not None:
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

    def _file_reference(self, attributes: dict[str, str]) -> None:
        if self.workout is not None:
            self.workout["routes"].append(attributes.get("path"))

    def _activity_summary(self, attributes: dict[str, str]) -> None:
        self.activity_summaries.append(dict(attributes))

    def _export_date(self, attributes: dict[str, str]) -> None:
        self.export["export_date"] = attributes.get("value")

    def _me(self, attributes: dict[str, str]) -> None:
        self.export.update({f"me_{key}": value for key, value in attributes.items()})

    def _root(self, attributes: dict[str, str]) -> None:
        self.export["locale"] = attributes.get("locale")

    def _device_column(self, descriptions: pa.Array) -> pa.Array:
        """Device keys for a column of HKDevice descriptions: the addresses are cut in Arrow, and only the few
        distinct descriptions left are parsed in Python."""
        identities = pc.replace_substring_regex(descriptions, r"^<<HKDevice: 0x[0-9a-fA-F]+>", "<<HKDevice>")
        encoded = identities.dictionary_encode()
        keys = pa.array([self._device(text) for text in encoded.dictionary.to_pylist()], pa.string())
        return keys.take(encoded.indices)

    def _device(self, description: str | None) -> str | None:
        if not description:
            return None
        # "<<HKDevice: 0x3012772a0>, name:..." -> ", name:...": the address differs from record to record
        cut = description.find(">,") if description.startswith("<<HKDevice") else -1
        identity = description[cut:] if cut >= 0 else description
        if identity in self.device_keys:
            return self.device_keys[identity]
        fields = parse_device(description)
        key = None if fields is None else device_key(fields)
        if key is not None and fields is not None:
            self.devices.setdefault(key, fields)
        self.device_keys[identity] = key
        return key

    # ------------------------------------------------------------------------------------------- Arrow

    def flush_records(self) -> None:
        if not self.records:
            return
        rows, self.records = self.records, []
        metadata_by_row, self.record_metadata = self.record_metadata, {}
        self.metadata_target = None
        attributes = pa.array(rows, type=_RECORD_ATTRIBUTES)  # the dicts' values, read in C++
        del rows
        devices = self._device_column(attributes.field("device"))
        # content identity: the parts joined (null -> "None"), then one hash per record, the decoder's hot loop
        parts = [
            attributes.field("type"),
            attributes.field("sourceName"),
            devices,
            attributes.field("unit"),
            attributes.field("startDate"),
            attributes.field("endDate"),
        ]
        joined = pc.binary_join_element_wise(*[pc.fill_null(part, "None") for part in parts], "\x1f")
        keys = [blake2b(text.encode(), digest_size=12).hexdigest() for text in joined.to_pylist()]
        del joined
        metadata: list[str | None] = [None] * len(attributes)
        for position, entries in metadata_by_row.items():
            metadata[position] = orjson.dumps(entries).decode()
        value_text = attributes.field("value")
        start, start_offset = _dates(attributes.field("startDate"))
        end, end_offset = _dates(attributes.field("endDate"))
        created, created_offset = _dates(attributes.field("creationDate"))
        first = self.record_count
        count = len(attributes)
        batch = pa.RecordBatch.from_pydict(
            {
                "record_key": pa.array(keys, pa.string()),
                "type": attributes.field("type").dictionary_encode(),
                "source_name": attributes.field("sourceName").dictionary_encode(),
                "source_version": attributes.field("sourceVersion").dictionary_encode(),
                "device_key": devices.dictionary_encode(),
                "unit": attributes.field("unit").dictionary_encode(),
                "value": value_text,
                "value_num": _numbers(value_text),
                "start_date": start,
                "start_offset_min": start_offset,
                "end_date": end,
                "end_offset_min": end_offset,
                "creation_date": created,
                "creation_offset_min": created_offset,
                "metadata": pa.array(metadata, pa.string()).dictionary_encode(),  # a few distinct values
                "row_index": pa.array(range(first, first + count), pa.int32()),
            }
        )
        self.record_batches.append(batch)
        self.record_count += count

    def tables(self) -> dict[str, pa.Table]:
        self.flush_records()
        tables: dict[str, pa.Table] = {}
        if self.record_batches:
            tables["record"] = pa.Table.from_batches(self.record_batches)
        events, statistics, routes, workouts = [], [], [], []
        for workout in self.workouts:
            key = workout["workout_key"]
            events += [{"workout_key": key, **event} for event in workout["events"]]
            statistics += [{"workout_key": key, **statistic} for statistic in workout["statistics"]]
            routes += [{"workout_key": key, "path": path} for path in workout["routes"]]
            kept = {
                k: v for k, v in workout.items() if k not in ("events", "statistics", "routes", "metadata")
            }
            workouts.append(
                {**kept, "metadata": json.dumps(workout["metadata"]) if workout["metadata"] else None}
            )
        if workouts:
            tables["workout"] = _workout_table(workouts)
        if events:
            tables["workout_event"] = _with_dates(events, ("date",), ("duration",))
        if statistics:
            tables["workout_statistics"] = _with_dates(
                statistics, ("start_date", "end_date"), ("average", "minimum", "maximum", "sum")
            )
        if routes:
            tables["workout_route"] = pa.Table.from_pylist(routes)
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


_RECORD_ATTRIBUTES = pa.struct([(name, pa.string()) for name in RECORD_ATTRIBUTES + ("device",)])


def _dates(texts: list | pa.Array) -> tuple[pa.Array, pa.Array]:
    """Apple's "2024-01-01 01:01:36 +0200" -> (UTC timestamp, offset in minutes), vectorised."""
    raw = texts if isinstance(texts, pa.Array) else pa.array(texts, pa.string())
    utc = pc.strptime(raw, format=_DATE_FORMAT, unit="s", error_is_null=True)
    local = pc.strptime(
        pc.utf8_slice_codeunits(raw, 0, 19), format=_LOCAL_FORMAT, unit="s", error_is_null=True
    )
    naive_utc = utc.cast(pa.timestamp("s"))
    offset_s = pc.cast(pc.subtract(local, naive_utc), pa.int64())
    offset_min = pc.cast(pc.divide(offset_s, 60), pa.int16())  # minutes: within +-14 h
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


def _numbers(texts: list | pa.Array) -> pa.Array:
    values = texts if isinstance(texts, pa.Array) else pa.array(texts, pa.string())
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
    if collector.repeated_records:
        decoded.warnings.append(
            f"{collector.repeated_records} records inside correlations skipped (they repeat top-level records)"
        )
    return decoded
