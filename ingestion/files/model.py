"""The decoded form of one file, shared by the FIT, GPX and TCX decoders, and the helpers that build it.

Every decoder returns a :class:`DecodedFile`: a status (``imported | partial | quarantined``) with a specific
reason, the parser that produced it, and named Arrow tables. Track points always land in the ``record`` table
with the same canonical columns whatever the format: ``timestamp`` (UTC), ``position_lat`` / ``position_long``
(degrees), ``heart_rate`` (bpm), ``power`` (W), ``cadence`` (rpm or spm), ``speed`` (m/s), ``altitude`` (m),
``distance`` (m), ``temperature`` (°C).
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

import numpy as np
import pyarrow as pa

Status = Literal["imported", "partial", "quarantined"]

RECORD_COLUMNS = (
    "timestamp",
    "position_lat",
    "position_long",
    "heart_rate",
    "power",
    "cadence",
    "speed",
    "altitude",
    "distance",
    "temperature",
)
INTEGER_RECORD_COLUMNS = ("heart_rate", "power", "cadence")

# Limits beyond which a value is impossible for a human athlete or a position on Earth: nulled and counted.
HEART_RATE_RANGE = (25.0, 250.0)
MAX_POWER_W = 2500.0


@dataclass
class DecodedFile:
    format: str  # "fit" | "gpx" | "tcx" | "unknown"
    status: Status
    reason: str | None
    parser: str
    parser_version: str
    tables: dict[str, pa.Table] = field(default_factory=dict)
    nulled: dict[str, int] = field(default_factory=dict)  # impossible/missing values nulled, by kind
    warnings: list[str] = field(default_factory=list)

    @property
    def record_count(self) -> int:
        table = self.tables.get("record")
        return 0 if table is None else table.num_rows

    def counts(self) -> dict[str, int]:
        return {name: table.num_rows for name, table in sorted(self.tables.items())}


def quarantined(fmt: str, reason: str, parser: str = "", parser_version: str = "") -> DecodedFile:
    return DecodedFile(fmt, "quarantined", reason, parser, parser_version)


# Tables that only identify a file or describe its other tables: alone they are not data. (A GPX track
# row is a name; its points are the data.)
DESCRIPTIVE_TABLES = frozenset(
    {"file_id", "file_creator", "device_info", "developer_data_id", "field_description", "metadata", "track"}
    | {"export", "device"}  # Apple Health: the export's header and its devices
)


def data_rows(decoded: DecodedFile) -> int:
    """Rows of actual data the file gave: every table but the descriptive ones, and in ``other_message``
    only messages the FIT profile names (random bytes decode as messages of unknown numbers)."""
    rows = 0
    for name, table in decoded.tables.items():
        if name in DESCRIPTIVE_TABLES:
            continue
        if name == "other_message":  # message_number is set only for unknown_<number> messages
            rows += table.column("message_number").null_count
            continue
        rows += table.num_rows
    return rows


def refuse_empty(decoded: DecodedFile) -> DecodedFile:
    """A file that gave no data is quarantined with the reason, never ``imported`` or ``partial`` with
    nothing: quarantined files are retried on re-import, so a later decoder can still read it."""
    if decoded.status == "quarantined" or data_rows(decoded) > 0:
        return decoded
    why = "; ".join([*([decoded.reason] if decoded.reason else []), *decoded.warnings])
    reason = f"no data decoded{': ' + why if why else ''}"
    return quarantined(decoded.format, reason, decoded.parser, decoded.parser_version)


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    return value


def to_json(value: Any) -> str:
    """Compact JSON; non-finite floats become null, bytes base64, dates ISO 8601."""
    return json.dumps(_finite(value), default=_json_default, separators=(",", ":"), allow_nan=False)


def _clean_float(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def column_from_values(values: list[Any]) -> pa.Array:
    """One Arrow column from heterogeneous decoder values, never failing.

    Homogeneous scalars keep their type (int, float, str, bool, UTC timestamp); lists, dicts and bytes become
    JSON text; columns mixing types (an enum name next to an out-of-profile enum number) become text.
    """
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return pa.nulls(len(values), pa.null())
    if kinds <= {datetime}:
        return pa.array(values, type=pa.timestamp("us", tz="UTC"))
    if kinds <= {bool}:
        return pa.array(values, type=pa.bool_())
    if kinds <= {int}:
        try:
            return pa.array(values, type=pa.int64())
        except (OverflowError, pa.ArrowInvalid):
            return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    if kinds <= {int, float}:
        return pa.array([None if v is None else _clean_float(float(v)) for v in values], type=pa.float64())
    if kinds <= {str}:
        return pa.array(values, type=pa.string())
    if kinds <= {list}:
        try:  # numeric arrays (zones, RR intervals, raw unknown fields) stay arrays
            return pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass
    if kinds & {list, tuple, dict, bytes, bytearray}:
        return pa.array([None if v is None else to_json(v) for v in values], type=pa.string())
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def table_from_rows(rows: list[dict[str, Any]], extra: dict[str, list[Any]] | None = None) -> pa.Table:
    """An Arrow table from dict rows whose keys vary (columns = union of keys, in first-seen order)."""
    names: dict[str, None] = {}
    for row in rows:
        for key in row:
            names.setdefault(key, None)
    columns = {name: column_from_values([row.get(name) for row in rows]) for name in names}
    for name, values in (extra or {}).items():
        columns[name] = column_from_values(values)
    if not columns:
        return pa.table({"message_index": pa.array(range(len(rows)), type=pa.int32())})
    return pa.table(columns)


def null_impossible_track_values(columns: dict[str, np.ndarray], nulled: dict[str, int]) -> None:
    """Null (NaN) impossible positions, heart rates and powers in float64 track columns; count them in `nulled`."""
    lat = columns.get("position_lat")
    lon = columns.get("position_long")
    if lat is not None or lon is not None:
        n = len(lat if lat is not None else lon)
        bad = np.zeros(n, dtype=bool)
        with np.errstate(invalid="ignore"):
            if lat is not None:
                bad |= np.abs(lat) > 90.0
            if lon is not None:
                bad |= np.abs(lon) > 180.0
        count = int(bad.sum())
        if count:
            nulled["position_out_of_range"] = nulled.get("position_out_of_range", 0) + count
            for name in ("position_lat", "position_long"):
                if columns.get(name) is not None:
                    columns[name] = np.where(bad, np.nan, columns[name])
    checks = (
        (
            "heart_rate",
            lambda a: (a < HEART_RATE_RANGE[0]) | (a > HEART_RATE_RANGE[1]),
            "heart_rate_out_of_range",
        ),
        ("power", lambda a: (a < 0) | (a > MAX_POWER_W), "power_out_of_range"),
    )
    for name, is_bad, label in checks:
        values = columns.get(name)
        if values is None:
            continue
        with np.errstate(invalid="ignore"):
            bad = is_bad(values)
        count = int(bad.sum())
        if count:
            nulled[label] = nulled.get(label, 0) + count
            columns[name] = np.where(bad, np.nan, values)


def record_table(columns: dict[str, np.ndarray], n: int) -> pa.Table:
    """The canonical ``record`` table from float64 columns (NaN = missing); the caller sets ``timestamp``."""
    arrays: dict[str, pa.Array] = {"timestamp": pa.nulls(n, pa.timestamp("us", tz="UTC"))}
    for name in RECORD_COLUMNS[1:]:
        values = columns.get(name)
        arrays[name] = _float_column(values, n, integer=name in INTEGER_RECORD_COLUMNS)
    for name, values in columns.items():
        if name not in arrays and name != "timestamp":
            arrays[name] = _float_column(values, n, integer=False)
    return pa.table(arrays)


def _float_column(values: np.ndarray | None, n: int, integer: bool) -> pa.Array:
    if values is None:
        return pa.nulls(n, pa.int32() if integer else pa.float64())
    values = np.asarray(values, dtype=np.float64)
    mask = np.isnan(values)
    if integer:
        return pa.array(np.where(mask, 0, np.round(values)).astype(np.int32), mask=mask)
    return pa.array(values, mask=mask if mask.any() else None)


def flag_untimed_points(decoded: DecodedFile) -> None:
    """Track points without a time cannot be samples: they stay in the raw ``record`` table with a NULL
    ``timestamp`` (staging drops them), and the file is ``partial`` with a reason saying how many."""
    missing = decoded.nulled.get("timestamp_missing", 0)
    if not missing:
        return
    untimed = f"{missing} of {decoded.record_count} track points without time (kept raw, not used as samples)"
    decoded.reason = untimed if decoded.reason is None else f"{decoded.reason}; {untimed}"
    if decoded.status == "imported":
        decoded.status = "partial"


def record_table_from_lists(
    times: list[datetime | None], columns: dict[str, list[float | None]], nulled: dict[str, int]
) -> pa.Table:
    """The canonical ``record`` table from per-point Python values (the XML formats' path)."""
    n = len(times)
    arrays = {
        name: np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        for name, values in columns.items()
    }
    null_impossible_track_values(arrays, nulled)
    missing = sum(1 for t in times if t is None)
    if missing:
        nulled["timestamp_missing"] = nulled.get("timestamp_missing", 0) + missing
    table = record_table(arrays, n)
    return table.set_column(0, "timestamp", pa.array(times, type=pa.timestamp("us", tz="UTC")))
