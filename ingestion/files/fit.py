"""FIT decoding: a measured chain of decoders producing Arrow tables.

1. Fast path: ``fitfast.records`` (Rust, NumPy columns) for the ``record`` messages, plus one
   ``fitfast.parse`` pass over a copy of the file with the record messages stripped out (so the per-message
   dicts are built only for the few hundred non-record messages).
2. Files whose 14-byte header CRC is 0x0000 (valid per the FIT spec; fitfast 0.1.0 then checks the file CRC
   over the data only and rejects them): the file CRC is verified per spec here, the segment re-sealed with a
   12-byte header, and decoded by the fast path. Status ``imported``.
3. Salvage: truncated files, bad CRCs, undefined local messages, corrupt chained headers: every segment is cut
   at its last complete message, re-sealed, decoded by the fast path, and marked ``partial`` with the reason.
4. Last resort: garmin-fit-sdk (never raises, returns what it could read), ``partial``.
5. Otherwise ``quarantined`` with the decoder's error.

Measurements behind the choice: ``benchmarks/fit_import.py`` and ../shared/docs/stack-facts.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import fitfast
import numpy as np
import pyarrow as pa

from ingestion.files.fit_bytes import (
    RECORD_MESG_NUM,
    accept_zero_header_crc,
    looks_like_fit,
    salvage,
    strip_messages,
)
from ingestion.files.model import (
    RECORD_COLUMNS,
    DecodedFile,
    null_impossible_track_values,
    quarantined,
    record_table,
    table_from_rows,
    to_json,
)

PARSER = "fitfast"
PARSER_VERSION = f"{fitfast.__version__}+profile{fitfast.PROFILE_VERSION}"

FIT_EPOCH = 631065600  # 1989-12-31T00:00:00Z in Unix seconds
# FIT date_time values below 0x10000000 are "system time": seconds since device power-on, not a date.
SYSTEM_TIME_LIMIT = FIT_EPOCH + 0x10000000
SEMICIRCLE_TO_DEGREES = 180.0 / 2**31
COMPRESSED_SPEED_DISTANCE_FIELD = (RECORD_MESG_NUM, 8)


class DecoderFailure(Exception):
    pass


def _is_decoder_failure(exc: BaseException) -> bool:
    # fitfast raises FitDecodeError on invalid input, but a Rust panic inside it surfaces as pyo3's
    # PanicException, a BaseException subclass that cannot be imported by name.
    return isinstance(exc, fitfast.FitDecodeError) or type(exc).__name__ == "PanicException"


def _try_fast(data: bytes, status: str, reason: str | None, parser: str) -> DecodedFile:
    try:
        return _decode_fast(data, status, reason, parser)
    except BaseException as exc:
        if not _is_decoder_failure(exc):
            raise
        kind = "decoder panic: " if type(exc).__name__ == "PanicException" else ""
        raise DecoderFailure(f"{kind}{exc}") from None


def decode_fit(data: bytes) -> DecodedFile:
    """Decode one FIT byte stream (single or chained) into Arrow tables. Never raises on bad input."""
    if not looks_like_fit(data):
        return quarantined("fit", "not a FIT file: no FIT header at byte 0", PARSER, PARSER_VERSION)
    try:
        return _try_fast(data, "imported", None, PARSER)
    except DecoderFailure as exc:
        first_error = str(exc)

    if "checksum mismatch" in first_error:
        patched = accept_zero_header_crc(data)
        if patched is not None:
            try:
                decoded = _try_fast(patched, "imported", None, PARSER)
                decoded.warnings.append("header CRC is 0x0000 (allowed by the FIT spec); file CRC verified")
                return decoded
            except DecoderFailure:
                pass

    rescue = salvage(data)
    reason = "; ".join(rescue.problems) or first_error
    if rescue.segments:
        try:
            return _try_fast(rescue.data, "partial", reason, f"{PARSER}+salvage")
        except DecoderFailure as exc:
            reason = f"{reason}; salvaged bytes still undecodable: {exc}"

    decoded = _decode_garmin_sdk(data, reason)
    if decoded is not None:
        return decoded
    return quarantined("fit", f"undecodable FIT file: {reason}", PARSER, PARSER_VERSION)


# --------------------------------------------------------------------------------------------- fast path


def _decode_fast(data: bytes, status: str, reason: str | None, parser: str) -> DecodedFile:
    columns = fitfast.records(data, "record", degrees=True)
    stripped = strip_messages(data)
    try:
        messages = fitfast.parse(stripped.data if stripped.data is not None else data, datetimes=True)
    except BaseException as exc:
        if not _is_decoder_failure(exc) or stripped.data is None:
            raise
        messages = fitfast.parse(data, datetimes=True)
    record_dicts = messages.pop("record", None)

    decoded = DecodedFile("fit", status, reason, parser, PARSER_VERSION)  # type: ignore[arg-type]
    dev_names = _developer_field_names(messages)
    extra: dict[str, np.ndarray] = {}
    if COMPRESSED_SPEED_DISTANCE_FIELD in stripped.defined_fields:
        if record_dicts is None:
            record_dicts = fitfast.parse(data, datetimes=False).get("record", [])
        extra = _expand_compressed_speed_distance(record_dicts)
    decoded.tables["record"] = _records_from_columns(columns, dev_names, decoded, extra)
    if messages.get("monitoring"):
        _expand_timestamp_16(messages)
    decoded.tables.update(_message_tables(messages, dev_names))
    return decoded


def _expand_timestamp_16(messages: dict[str, list[dict]]) -> None:
    """Monitoring messages carry only the low 16 bits of their time (``timestamp_16``), relative to the last
    full timestamp; fill ``timestamp`` from them (the reference: monitoring_info, else file_id.time_created)."""
    reference = None
    for kind, key in (("monitoring_info", "timestamp"), ("file_id", "time_created")):
        rows = messages.get(kind) or []
        if rows and isinstance(rows[0].get(key), datetime):
            reference = int(rows[0][key].timestamp()) - FIT_EPOCH
            break
    last = reference
    for row in messages["monitoring"]:
        stamp = row.get("timestamp")
        if isinstance(stamp, datetime):
            last = int(stamp.timestamp()) - FIT_EPOCH
        elif isinstance(row.get("timestamp_16"), int) and last is not None:
            last = last + ((row["timestamp_16"] - last) & 0xFFFF)
            row["timestamp"] = datetime.fromtimestamp(last + FIT_EPOCH, UTC)


def _developer_field_names(messages: dict[str, list[dict]]) -> set[str]:
    return {
        str(row["field_name"])
        for row in messages.get("field_description", [])
        if isinstance(row.get("field_name"), str)
    }


def _coalesce(first: np.ndarray | None, second: np.ndarray | None) -> np.ndarray | None:
    if first is None:
        return second
    if second is None:
        return first
    return np.where(np.isnan(first), second, first)


def _records_from_columns(
    columns: dict[str, np.ndarray], dev_names: set[str], decoded: DecodedFile, extra: dict[str, np.ndarray]
) -> pa.Table:
    columns = dict(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    for name, values in extra.items():
        if len(values) == n:
            columns[name] = _coalesce(columns.get(name), values)
    # fitfast 0.1.0 expands speed->enhanced_speed with a rounding error (8.155 -> 8.154); the 16-bit field
    # is exact when present and the enhanced one covers what it cannot hold.
    columns["speed"] = _coalesce(columns.get("speed"), columns.pop("enhanced_speed", None))
    columns["altitude"] = _coalesce(columns.get("altitude"), columns.pop("enhanced_altitude", None))
    # Keep the canonical columns always; drop other fields no record of this file actually carries.
    columns = {
        k: v for k, v in columns.items() if v is not None and (k in RECORD_COLUMNS or not np.isnan(v).all())
    }
    renamed: dict[str, np.ndarray] = {}
    for name, values in columns.items():
        if name in dev_names and name not in RECORD_COLUMNS:
            renamed[f"dev_{name}"] = values
        else:
            renamed[name] = values
    columns = renamed

    nulled = decoded.nulled
    seconds = columns.pop("timestamp", None)
    if seconds is None:
        seconds = np.full(n, np.nan)
    with np.errstate(invalid="ignore"):
        relative = seconds < SYSTEM_TIME_LIMIT
    if relative.any():
        columns["system_time_s"] = np.where(relative, seconds - FIT_EPOCH, np.nan)
        seconds = np.where(relative, np.nan, seconds)
        nulled["timestamp_relative"] = int(relative.sum())
    missing = np.isnan(seconds)
    missing_count = int(missing.sum()) - int(relative.sum())
    if missing_count:
        nulled["timestamp_missing"] = missing_count
    null_impossible_track_values(columns, nulled)
    micros = np.where(missing, 0, np.round(seconds * 1e6)).astype(np.int64)
    timestamps = pa.array(micros, mask=missing if missing.any() else None).cast(pa.timestamp("us", tz="UTC"))
    table = record_table(columns, n)
    return table.set_column(0, "timestamp", timestamps)


def _expand_compressed_speed_distance(record_dicts: list[dict]) -> dict[str, np.ndarray]:
    """Old Garmin devices pack speed (1/100 m/s, 12 bits) and accumulated distance (1/16 m, 12 bits) in 3 bytes."""
    n = len(record_dicts)
    speed = np.full(n, np.nan)
    distance = np.full(n, np.nan)
    total = 0
    last: int | None = None
    for i, row in enumerate(record_dicts):
        packed = row.get("compressed_speed_distance")
        if isinstance(packed, list | tuple):
            packed = bytes(b if isinstance(b, int) else 0xFF for b in packed)
        if not isinstance(packed, bytes | bytearray) or len(packed) != 3 or packed == b"\xff\xff\xff":
            continue
        speed[i] = (packed[0] | (packed[1] & 0x0F) << 8) / 100.0
        raw_distance = (packed[1] >> 4) | (packed[2] << 4)
        total = raw_distance if last is None else total + ((raw_distance - last) & 0xFFF)
        last = raw_distance
        distance[i] = total / 16.0
    return {"speed": speed, "distance": distance}


# ------------------------------------------------------------------------------------ non-record messages


def _is_semicircle_field(name: str) -> bool:
    return name.endswith("_lat") or name.endswith("_long") or name in ("position_lat", "position_long")


def _normalise_row(row: dict[Any, Any], dev_names: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(key, int):  # a field outside the FIT profile: kept raw under its number
            out[f"field_{key}"] = value
            continue
        if isinstance(value, int) and not isinstance(value, bool) and _is_semicircle_field(key):
            value = value * SEMICIRCLE_TO_DEGREES
        if key in dev_names:
            key = f"dev_{key}"
        out[key] = value
    return out


# Message kinds kept as typed tables (what staging and the openfit schema use). Every other kind, including
# manufacturer-specific ``unknown_<number>`` messages, is kept raw, one JSON object per message, in
# ``other_message``: nothing is lost, and the warehouse does not grow a table per device setting.
TYPED_MESSAGES = frozenset(
    {
        "file_id",
        "file_creator",
        "device_info",
        "activity",
        "session",
        "lap",
        "record",
        "event",
        "length",
        "hrv",
        "sport",
        "split",
        "split_summary",
        "set",
        "exercise_title",
        "time_in_zone",
        "user_profile",
        "zones_target",
        "hr_zone",
        "power_zone",
        "workout",
        "workout_step",
        "developer_data_id",
        "field_description",
        "monitoring",
        "monitoring_info",
        "monitoring_hr_data",
        "sleep_level",
        "sleep_assessment",
        "stress_level",
        "hrv_status_summary",
        "hrv_value",
        "respiration_rate",
        "spo2_data",
        "weight_scale",
        "blood_pressure",
        "segment_lap",
        "dive_summary",
        "jump",
        "climb_pro",
        "training_file",
    }
)


def _message_tables(messages: dict[str, list[dict]], dev_names: set[str]) -> dict[str, pa.Table]:
    """Typed tables for the kinds in TYPED_MESSAGES (named by FIT profile name); the rest in ``other_message``."""
    tables: dict[str, pa.Table] = {}
    other: list[dict[str, Any]] = []
    for kind, rows in messages.items():
        if not rows:
            continue
        if kind == "hrv":
            tables["hrv"] = _hrv_table(rows)
        elif kind in TYPED_MESSAGES:
            normalised = [_normalise_row(row, dev_names) for row in rows]
            tables[kind] = table_from_rows(normalised, extra={"row_index": list(range(len(rows)))})
        else:
            number = int(kind.removeprefix("unknown_")) if kind.startswith("unknown_") else None
            other.extend(
                {"message": kind, "message_number": number, "row_index": i, "fields": to_json(row)}
                for i, row in enumerate(rows)
            )
    if other:
        tables["other_message"] = pa.table(
            {
                "message": pa.array([r["message"] for r in other], pa.string()),
                "message_number": pa.array([r["message_number"] for r in other], pa.int32()),
                "row_index": pa.array([r["row_index"] for r in other], pa.int64()),
                "fields": pa.array([r["fields"] for r in other], pa.string()),
            }
        )
    return tables


def _hrv_table(rows: list[dict]) -> pa.Table:
    """One row per beat-to-beat (RR) interval, in seconds, in recording order."""
    values = [t for row in rows for t in (row.get("time") or ()) if t is not None]
    intervals = np.array([v for v in values if isinstance(v, int | float)], dtype=np.float64)
    intervals = intervals[np.isfinite(intervals) & (intervals < 65.0)]  # 65.535 s is the invalid sentinel
    return pa.table(
        {
            "beat_index": pa.array(np.arange(len(intervals), dtype=np.int64)),
            "rr_s": pa.array(intervals, type=pa.float64()),
        }
    )


# ------------------------------------------------------------------------------------ last-resort decoder


def _decode_garmin_sdk(data: bytes, reason: str) -> DecodedFile | None:
    try:
        from garmin_fit_sdk import Decoder, Stream
        from garmin_fit_sdk import __version__ as sdk_version

        decoder = Decoder(Stream.from_byte_array(bytearray(data)))
        messages, errors = decoder.read(enable_crc_check=False, merge_heart_rates=False)
    except Exception:  # the SDK is the last resort; anything it raises means "nothing more to salvage"
        return None
    usable = {k: v for k, v in messages.items() if v and k.endswith("_mesgs")}
    if not usable:
        return None
    error_text = "; ".join(str(e) for e in errors)[:500]
    decoded = DecodedFile(
        "fit",
        "partial",
        f"{reason}; salvaged by garmin-fit-sdk" + (f" ({error_text})" if error_text else ""),
        "garmin-fit-sdk",
        sdk_version,
    )
    record_rows = usable.pop("record_mesgs", [])
    dev_names = {str(r.get("field_name")) for r in usable.get("field_description_mesgs", [])}
    names = [name for name in dict.fromkeys(k for row in record_rows for k in row) if isinstance(name, str)]
    columns: dict[str, np.ndarray] = {}
    for name in names:
        values = [row.get(name) for row in record_rows]
        if name == "timestamp":
            columns[name] = np.array([v.timestamp() if isinstance(v, datetime) else np.nan for v in values])
        elif all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values):
            array = np.array([np.nan if v is None else float(v) for v in values])
            columns[name] = array * SEMICIRCLE_TO_DEGREES if _is_semicircle_field(name) else array
    decoded.tables["record"] = _records_from_columns(columns, dev_names, decoded, {})
    decoded.tables.update(
        _message_tables({k.removesuffix("_mesgs"): v for k, v in usable.items()}, dev_names)
    )
    return decoded
