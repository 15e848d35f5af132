"""Fitbit data from a Google Takeout export (``Takeout/Fitbit/...``), one file at a time.

A Takeout holds thousands of small files: per-day or per-month JSON in ``Global Export Data`` (heart rate,
resting heart rate, steps, calories, distance, sleep, exercises, weight) and CSV in their own folders (heart
rate variability, SpO2, temperature, the profile). Each file is its own import: an unchanged file of a newer
cumulative Takeout has the same bytes and is a duplicate by hash, and only the files that changed are
decoded again (their rows already in the warehouse are then dropped by content key, see
``ingestion.files.fitbit_reimport``).

Recognition: a file is Fitbit's when its name follows one of Takeout's patterns (``heart_rate-2024-01-31.json``,
``Daily SpO2 - 2024-01-01-2024-01-31.csv``) AND its content has that file kind's shape (a JSON list of the
kind's objects, a CSV with the kind's header). The name alone never decides, and neither does the archive's.

Times: Fitbit writes local wall times without an offset (``"MM/DD/YY HH:MM:SS"`` in the JSON,
``2024-01-31T23:10:30.000`` in sleep logs, ``2024-01-31T00:00:00`` in the CSVs). Every timed row carries
``local_time`` (the wall time as written, ``YYYY-MM-DD HH:MM:SS``) and ``offset_min`` (the UTC offset written
next to it, null when none was written). Staging turns a wall time without an offset into UTC with the
profile's time zone (``raw_files.fitbit_profile.timezone``), since a file alone does not know it.

Tables (``raw_files.fitbit_<name>``): ``heart_rate``, ``resting_heart_rate``, ``steps``, ``calories``,
``distance``, ``sleep`` + ``sleep_stage``, ``exercise``, ``weight``, ``hrv_daily`` (RMSSD), ``hrv_detail``,
``spo2_daily``, ``spo2_minute``, ``computed_temperature``, ``device_temperature``, ``profile`` (without the
account's names, e-mail and about text), ``device`` (the trackers named by exercises' sources).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from hashlib import blake2b
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.files.model import DecodedFile, quarantined

FORMAT = "fitbit"
PARSER = "openfit-fitbit-takeout"
PARSER_VERSION = "1"

_DAY = r"\d{4}-\d{2}-\d{2}"
# file name (not the folder: users move and rename folders) -> kind. Case matters: Takeout's names are
# exact, and other exports hold look-alikes (Strava's bulk export has a lowercase profile.csv).
NAME_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), kind)
    for pattern, kind in (
        (rf"^heart_rate-{_DAY}\.json$", "heart_rate"),
        (rf"^resting_heart_rate-{_DAY}\.json$", "resting_heart_rate"),
        (rf"^steps-{_DAY}\.json$", "steps"),
        (rf"^calories-{_DAY}\.json$", "calories"),
        (rf"^distance-{_DAY}\.json$", "distance"),
        (rf"^sleep-{_DAY}\.json$", "sleep"),
        (r"^exercise-\d+\.json$", "exercise"),
        (rf"^weight-{_DAY}\.json$", "weight"),
        (r"^Daily Heart Rate Variability Summary - .+\.csv$", "hrv_daily"),
        (r"^Heart Rate Variability Details - .+\.csv$", "hrv_detail"),
        (r"^Daily SpO2 - .+\.csv$", "spo2_daily"),
        (r"^Minute SpO2 - .+\.csv$", "spo2_minute"),
        (r"^Computed Temperature - .+\.csv$", "computed_temperature"),
        (r"^Device Temperature - .+\.csv$", "device_temperature"),
        (r"^Profile\.csv$", "profile"),
    )
)

# JSON kinds: the keys the first object of the list must have
JSON_KEYS = {
    "heart_rate": ("dateTime", "value"),
    "resting_heart_rate": ("dateTime", "value"),
    "steps": ("dateTime", "value"),
    "calories": ("dateTime", "value"),
    "distance": ("dateTime", "value"),
    "sleep": ("logId", "dateOfSleep", "startTime"),
    "exercise": ("logId", "activityName", "startTime"),
    "weight": ("logId", "weight", "date"),
}
# CSV kinds: the columns the header must have (Fitbit adds columns over the years; these stay)
CSV_COLUMNS = {
    "hrv_daily": ("timestamp", "rmssd"),
    "hrv_detail": ("timestamp", "rmssd"),
    "spo2_daily": ("timestamp", "average_value"),
    "spo2_minute": ("timestamp", "value"),
    "computed_temperature": ("type", "sleep_start", "sleep_end", "nightly_temperature"),
    "device_temperature": ("recorded_time", "temperature"),
    "profile": ("id", "timezone"),
}
# Profile.csv columns kept: what the data needs (time zone, units, body) - not names, e-mail or about text
PROFILE_COLUMNS = (
    "id",
    "timezone",
    "locale",
    "country",
    "gender",
    "date_of_birth",
    "height",
    "weight",
    "height_unit",
    "weight_unit",
    "distance_unit",
    "swim_unit",
    "stride_length_walk",
    "stride_length_run",
    "member_since",
    "start_of_week",
)


def base_name(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def kind_from_name(name: str) -> str | None:
    """The Takeout file kind a name follows, or None (a cheap check for walking folders and archives)."""
    file_name = base_name(name)
    for pattern, kind in NAME_PATTERNS:
        if pattern.match(file_name):
            return kind
    return None


def sniff_fitbit(data: bytes, name: str) -> str | None:
    """The kind of a Takeout Fitbit file when its name follows a pattern and its start has that kind's shape.

    `data` may be only the file's start."""
    kind = kind_from_name(name)
    if kind is None:
        return None
    text = data.removeprefix(b"\xef\xbb\xbf")
    if kind in JSON_KEYS:
        start = text.lstrip(b" \t\r\n")
        if not start.startswith(b"["):
            return None
        if start[1:].lstrip(b" \t\r\n").startswith(b"]"):
            return kind  # an empty list: a day without data
        window = start[:4096]
        return kind if all(f'"{key}"'.encode() in window for key in JSON_KEYS[kind][:1]) else None
    header = _csv_header(text)
    return kind if header is not None and set(CSV_COLUMNS[kind]) <= set(header) else None


def _csv_header(data: bytes) -> list[str] | None:
    line = data.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        return [column.strip() for column in line.decode("utf-8").split(",")]
    except UnicodeDecodeError:
        return None


# --------------------------------------------------------------------------------------------------- times

_ISO_TIME = re.compile(
    r"^\s*(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)
_US_TIME = re.compile(r"^\s*(\d{2})/(\d{2})/(\d{2}|\d{4})(?:\s+(\d{2}:\d{2}(?::\d{2})?))?\s*$")


def wall_time(text: Any) -> tuple[str | None, int | None]:
    """A Fitbit time as written -> ("YYYY-MM-DD HH:MM:SS", offset in minutes or None).

    Takes ``01/31/24 23:10:30`` (the JSON files), ``01/31/24`` (a date: midnight), ``2024-01-31T23:10:30.000``
    (sleep logs, CSVs) and ISO times with ``Z`` or ``+01:00`` (then the offset is returned)."""
    if not isinstance(text, str):
        return None, None
    match = _US_TIME.match(text)
    if match:
        month, day, year, clock = match.groups()
        year = year if len(year) == 4 else f"20{year}"
        return f"{year}-{month}-{day} {_seconds(clock or '00:00:00')}", None
    match = _ISO_TIME.match(text)
    if not match:
        return None, None
    day, clock, zone = match.groups()
    offset = None
    if zone == "Z":
        offset = 0
    elif zone:
        digits = zone[1:].replace(":", "")
        offset = (int(digits[:2]) * 60 + int(digits[2:])) * (-1 if zone[0] == "-" else 1)
    return f"{day} {_seconds(clock)}", offset


def _seconds(clock: str) -> str:
    return clock if clock.count(":") == 2 else f"{clock}:00"


def _us_times_vectorised(texts: pa.Array) -> pa.Array:
    """``MM/DD/YY HH:MM:SS`` -> ``YYYY-MM-DD HH:MM:SS`` in Arrow (the intraday files hold ~17,000 rows a day)."""
    parsed = pc.strptime(texts, format="%m/%d/%y %H:%M:%S", unit="s", error_is_null=True)
    return pc.strftime(parsed, format="%Y-%m-%d %H:%M:%S")


# ------------------------------------------------------------------------------------------------- decoding


class FitbitFileError(ValueError):
    pass


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


_HEART_RATE_ITEM = pa.struct(
    [("dateTime", pa.string()), ("value", pa.struct([("bpm", pa.int32()), ("confidence", pa.int32())]))]
)
_SERIES_ITEM = pa.struct([("dateTime", pa.string()), ("value", pa.string())])


def _intraday_table(items: list[Any], kind: str) -> pa.Table:
    """heart_rate / steps / calories / distance: ``[{"dateTime": ..., "value": ...}]``.

    The usual shape is read by Arrow in C++ (a day of 5-second heart rate is ~17,000 items); anything else
    (numbers where Fitbit writes strings, stray entries) goes through the per-item path."""
    try:
        parsed = pa.array(items, type=_HEART_RATE_ITEM if kind == "heart_rate" else _SERIES_ITEM)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return _intraday_table_per_item(items, kind)
    columns: dict[str, pa.Array] = {
        "local_time": _us_times_vectorised(parsed.field("dateTime")),
        "offset_min": pa.nulls(len(items), pa.int16()),
    }
    if kind == "heart_rate":
        columns["bpm"] = parsed.field("value").field("bpm")
        columns["confidence"] = parsed.field("value").field("confidence")
    else:
        text = parsed.field("value")
        is_number = pc.fill_null(pc.match_substring_regex(text, r"^\s*[-+]?(\d+\.?\d*|\.\d+)\s*$"), False)
        columns["value"] = pc.cast(pc.if_else(is_number, text, None), pa.float64())
    return pa.table(columns)


def _intraday_table_per_item(items: list[Any], kind: str) -> pa.Table:
    times = pa.array(
        [item.get("dateTime") if isinstance(item, dict) else None for item in items], pa.string()
    )
    local = _us_times_vectorised(times)
    columns: dict[str, pa.Array] = {"local_time": local, "offset_min": pa.nulls(len(items), pa.int16())}
    if kind == "heart_rate":
        values = [item.get("value") if isinstance(item, dict) else None for item in items]
        columns["bpm"] = pa.array(
            [_integer(v.get("bpm")) if isinstance(v, dict) else None for v in values], pa.int32()
        )
        columns["confidence"] = pa.array(
            [_integer(v.get("confidence")) if isinstance(v, dict) else None for v in values], pa.int32()
        )
    else:
        columns["value"] = pa.array(
            [_number(item.get("value")) if isinstance(item, dict) else None for item in items], pa.float64()
        )
    return pa.table(columns)


def _resting_heart_rate_table(items: list[Any]) -> pa.Table:
    rows = []
    for item in items:
        value = item.get("value") if isinstance(item, dict) else None
        value = value if isinstance(value, dict) else {}
        local, offset = wall_time(item.get("dateTime") if isinstance(item, dict) else None)
        # value.date is null on days without an estimate (value 0)
        day, _ = wall_time(value.get("date"))
        rows.append(
            {
                "local_time": local,
                "offset_min": offset,
                "local_date": (day or local or "")[:10] or None,
                "value": _number(value.get("value")),
                "error": _number(value.get("error")),
            }
        )
    return _typed(rows, {"offset_min": pa.int16(), "value": pa.float64(), "error": pa.float64()})


def _typed(rows: list[dict[str, Any]], types: dict[str, pa.DataType]) -> pa.Table:
    if not rows:
        return pa.table({})
    names = list(rows[0])
    return pa.table(
        {name: pa.array([row.get(name) for row in rows], types.get(name, pa.string())) for name in names}
    )


_SLEEP_INTEGERS = (
    "duration",
    "minutesToFallAsleep",
    "minutesAsleep",
    "minutesAwake",
    "minutesAfterWakeup",
    "timeInBed",
    "efficiency",
    "infoCode",
)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _sleep_tables(items: list[Any]) -> dict[str, pa.Table]:
    sessions, stages = [], []
    for item in items:
        if not isinstance(item, dict) or item.get("logId") is None:
            continue
        log_id = _integer(item.get("logId"))
        start, start_offset = wall_time(item.get("startTime"))
        end, end_offset = wall_time(item.get("endTime"))
        levels = item.get("levels") if isinstance(item.get("levels"), dict) else {}
        sessions.append(
            {
                "log_id": log_id,
                "date_of_sleep": item.get("dateOfSleep"),
                "local_start": start,
                "start_offset_min": start_offset,
                "local_end": end,
                "end_offset_min": end_offset,
                **{_snake(key): _integer(item.get(key)) for key in _SLEEP_INTEGERS},
                "type": item.get("type"),
                "log_type": item.get("logType"),
                "main_sleep": bool(item.get("mainSleep")) if item.get("mainSleep") is not None else None,
                "levels_summary": orjson.dumps(levels.get("summary")).decode()
                if levels.get("summary")
                else None,
            }
        )
        for short, entries in ((False, levels.get("data")), (True, levels.get("shortData"))):
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                local, offset = wall_time(entry.get("dateTime"))
                stages.append(
                    {
                        "log_id": log_id,
                        "local_time": local,
                        "offset_min": offset,
                        "level": entry.get("level"),
                        "seconds": _integer(entry.get("seconds")),
                        "is_short": short,
                    }
                )
    tables = {}
    if sessions:
        types = {"log_id": pa.int64(), "start_offset_min": pa.int16(), "end_offset_min": pa.int16()}
        types.update({_snake(key): pa.int64() for key in _SLEEP_INTEGERS})
        tables["sleep"] = _typed(sessions, {**types, "main_sleep": pa.bool_()})
    if stages:
        tables["sleep_stage"] = _typed(
            stages,
            {"log_id": pa.int64(), "offset_min": pa.int16(), "seconds": pa.int64(), "is_short": pa.bool_()},
        )
    return tables


def device_key(source_type: str | None, name: str | None) -> str | None:
    """A tracker's stable id: its type and name as Fitbit writes them in every export (lowercased)."""
    if not name:
        return None
    identity = f"{(source_type or '').strip().lower()}\x1f{name.strip().lower()}"
    return "fitbit:" + blake2b(identity.encode(), digest_size=12).hexdigest()


def _exercise_tables(items: list[Any]) -> dict[str, pa.Table]:
    rows, devices = [], {}
    for item in items:
        if not isinstance(item, dict) or item.get("logId") is None:
            continue
        source = item.get("source") if isinstance(item.get("source"), dict) else {}
        key = device_key(source.get("type"), source.get("name"))
        if key is not None:
            devices.setdefault(
                key,
                {
                    "device_key": key,
                    "name": source.get("name"),
                    "type": source.get("type"),
                    "source_id": None if source.get("id") is None else str(source.get("id")),
                },
            )
        start, start_offset = wall_time(item.get("startTime"))
        original, original_offset = wall_time(item.get("originalStartTime"))
        rows.append(
            {
                "log_id": _integer(item.get("logId")),
                "activity_name": item.get("activityName"),
                "activity_type_id": _integer(item.get("activityTypeId")),
                "log_type": item.get("logType"),
                "local_start": start,
                "start_offset_min": start_offset if start_offset is not None else original_offset,
                "original_local_start": original,
                "duration_ms": _integer(item.get("duration")),
                "active_duration_ms": _integer(item.get("activeDuration")),
                "calories": _number(item.get("calories")),
                "steps": _number(item.get("steps")),
                "distance": _number(item.get("distance")),
                "distance_unit": item.get("distanceUnit"),
                "average_heart_rate": _number(item.get("averageHeartRate")),
                "elevation_gain": _number(item.get("elevationGain")),
                "has_gps": item.get("hasGps") if isinstance(item.get("hasGps"), bool) else None,
                "tcx_link": item.get("tcxLink"),
                "device_key": key,
                "source_type": source.get("type"),
                "source_name": source.get("name"),
                "heart_rate_zones": orjson.dumps(item["heartRateZones"]).decode()
                if item.get("heartRateZones")
                else None,
                "last_modified": wall_time(item.get("lastModified"))[0],
            }
        )
    tables = {}
    if rows:
        tables["exercise"] = _typed(
            rows,
            {
                "log_id": pa.int64(),
                "activity_type_id": pa.int64(),
                "start_offset_min": pa.int16(),
                "duration_ms": pa.int64(),
                "active_duration_ms": pa.int64(),
                "calories": pa.float64(),
                "steps": pa.float64(),
                "distance": pa.float64(),
                "average_heart_rate": pa.float64(),
                "elevation_gain": pa.float64(),
                "has_gps": pa.bool_(),
            },
        )
    if devices:
        tables["device"] = _typed(list(devices.values()), {})
    return tables


def _weight_table(items: list[Any]) -> pa.Table:
    rows = []
    for item in items:
        if not isinstance(item, dict) or item.get("logId") is None:
            continue
        day, _ = wall_time(item.get("date"))
        clock = item.get("time") if isinstance(item.get("time"), str) else "00:00:00"
        rows.append(
            {
                "log_id": _integer(item.get("logId")),
                "local_time": None if day is None else f"{day[:10]} {_seconds(clock.strip())}",
                "offset_min": None,
                "weight": _number(item.get("weight")),
                "bmi": _number(item.get("bmi")),
                "fat": _number(item.get("fat")),
                "source": item.get("source"),
            }
        )
    return _typed(
        rows,
        {
            "log_id": pa.int64(),
            "offset_min": pa.int16(),
            "weight": pa.float64(),
            "bmi": pa.float64(),
            "fat": pa.float64(),
        },
    )


_JSON_DECODERS: dict[str, Callable[[list[Any]], dict[str, pa.Table]]] = {
    "heart_rate": lambda items: {"heart_rate": _intraday_table(items, "heart_rate")},
    "steps": lambda items: {"steps": _intraday_table(items, "steps")},
    "calories": lambda items: {"calories": _intraday_table(items, "calories")},
    "distance": lambda items: {"distance": _intraday_table(items, "distance")},
    "resting_heart_rate": lambda items: {"resting_heart_rate": _resting_heart_rate_table(items)},
    "sleep": _sleep_tables,
    "exercise": _exercise_tables,
    "weight": lambda items: {"weight": _weight_table(items)},
}

# CSV kinds: the column whose text is a time (-> local_time + offset_min)
_CSV_TIME_COLUMN = {
    "hrv_daily": "timestamp",
    "hrv_detail": "timestamp",
    "spo2_daily": "timestamp",
    "spo2_minute": "timestamp",
    "device_temperature": "recorded_time",
}
_CSV_TEXT_COLUMNS = {"type", "sensor_type"}


def _csv_table(data: bytes, kind: str) -> pa.Table:
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    header = [column.strip() for column in next(reader, [])]
    rows = [row for row in reader if any(cell.strip() for cell in row)]
    width = len(header)
    for number, row in enumerate(rows, start=2):
        if len(row) != width:
            raise FitbitFileError(f"CSV line {number} has {len(row)} fields, the header has {width}")
    columns = {name: [row[i].strip() or None for row in rows] for i, name in enumerate(header)}
    if kind == "profile":
        return pa.table(
            {name: pa.array(columns.get(name, [None] * len(rows)), pa.string()) for name in PROFILE_COLUMNS}
        )
    arrays: dict[str, pa.Array] = {}
    time_column = _CSV_TIME_COLUMN.get(kind)
    for name, values in columns.items():
        if name == time_column:
            parsed = [wall_time(value) for value in values]
            arrays["local_time"] = pa.array([p[0] for p in parsed], pa.string())
            arrays["offset_min"] = pa.array([p[1] for p in parsed], pa.int16())
            if any(
                value is not None and local is None for value, (local, _) in zip(values, parsed, strict=True)
            ):
                raise FitbitFileError(f"unreadable time in column {name!r}")
        elif name in ("sleep_start", "sleep_end"):
            parsed = [wall_time(value) for value in values]
            arrays[f"local_{name.removeprefix('sleep_')}"] = pa.array([p[0] for p in parsed], pa.string())
            arrays[f"{name.removeprefix('sleep_')}_offset_min"] = pa.array([p[1] for p in parsed], pa.int16())
        elif name in _CSV_TEXT_COLUMNS:
            arrays[name] = pa.array(values, pa.string())
        else:
            arrays[name] = pa.array([_number(value) for value in values], pa.float64())
    return pa.table(arrays)


def decode_fitbit(data: bytes, name: str, kind: str | None = None) -> DecodedFile:
    """Decode one Takeout Fitbit file. Never raises on bad input: a file that is not valid JSON/CSV of its
    kind is quarantined with the reason; an empty list (a day without data) is imported with no rows."""
    kind = kind or sniff_fitbit(data[:4096], name)
    file_name = base_name(name)
    if kind is None:
        return quarantined(FORMAT, f"not a Google Takeout Fitbit file: {file_name!r}", PARSER, PARSER_VERSION)
    decoded = DecodedFile(FORMAT, "imported", None, PARSER, PARSER_VERSION)
    try:
        if kind in JSON_KEYS:
            try:
                items = orjson.loads(data)
            except orjson.JSONDecodeError as exc:
                raise FitbitFileError(f"invalid JSON ({exc})") from None
            if not isinstance(items, list):
                raise FitbitFileError("the JSON is not a list")
            tables = _JSON_DECODERS[kind](items)
            if items and not any(table.num_rows for table in tables.values()):
                raise FitbitFileError(f"none of its {len(items)} entries has the fields of a {kind} entry")
        else:
            tables = {kind: _csv_table(data, kind)}
    except FitbitFileError as exc:
        return quarantined(FORMAT, f"damaged Fitbit {kind} file {file_name!r}: {exc}", PARSER, PARSER_VERSION)
    except UnicodeDecodeError as exc:
        return quarantined(
            FORMAT, f"damaged Fitbit {kind} file {file_name!r}: not UTF-8 ({exc})", PARSER, PARSER_VERSION
        )
    decoded.tables = {table_name: table for table_name, table in tables.items() if table.num_rows}
    untimed = sum(
        table.column("local_time").null_count
        for table in decoded.tables.values()
        if "local_time" in table.column_names
    )
    if untimed:
        decoded.nulled["time_unreadable"] = untimed
        decoded.status = "partial"
        decoded.reason = f"{untimed} rows with an unreadable time (kept raw, not used)"
    if not decoded.tables:
        decoded.reason = f"empty Fitbit {kind} file (no records that day)"
    return decoded
