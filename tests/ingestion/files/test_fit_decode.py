"""FIT decoding on generated files: values, multisport, HRV, developer fields, compressed timestamps,
0x0000 header CRCs, chained files, impossible values, and corrupt variants."""

from __future__ import annotations

import json
import math

import fit_samples as samples
import pyarrow as pa
import pytest

from ingestion.files.decode import decode_bytes
from ingestion.files.fit import decode_fit
from ingestion.files.fit_bytes import crc16, salvage
from ingestion.files.fit_writer import FIT_EPOCH, FitWriter


def _degrees_to_semicircles(value: float) -> int:
    return round(value * 2**31 / 180)


def test_activity_records_match_what_was_written():
    decoded = decode_fit(samples.activity(n=120))
    assert decoded.status == "imported" and decoded.reason is None
    assert decoded.parser == "fitfast"
    records = decoded.tables["record"]
    assert records.num_rows == 120
    assert records.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    expected = samples.expected_track(120)
    rows = records.to_pylist()
    for row, want in zip(rows, expected, strict=True):
        assert row["timestamp"].timestamp() == want["t"]
        assert math.isclose(row["position_lat"], want["lat"], abs_tol=1e-6)
        assert math.isclose(row["position_long"], want["lon"], abs_tol=1e-6)
        assert row["heart_rate"] == want["heart_rate"]
        assert row["power"] == want["power"]
        assert row["cadence"] == want["cadence"]
        assert math.isclose(row["speed"], want["speed"], abs_tol=1e-3)
        assert math.isclose(row["altitude"], want["altitude"], abs_tol=0.2)
        assert math.isclose(row["distance"], want["distance"], abs_tol=0.01)
    assert decoded.tables["file_id"].column("type").to_pylist() == ["activity"]
    assert decoded.tables["device_info"].num_rows == 2
    assert decoded.tables["event"].column("event_type").to_pylist() == ["start", "stop_all"]
    assert decoded.nulled == {}


def test_multisport_file_gives_one_session_per_sport():
    decoded = decode_fit(samples.multisport(n_each=60))
    assert decoded.status == "imported"
    sessions = decoded.tables["session"].to_pylist()
    assert [s["sport"] for s in sessions] == ["running", "cycling"]
    assert sessions[1]["start_time"].timestamp() - sessions[0]["start_time"].timestamp() == 60
    assert decoded.tables["lap"].num_rows == 2
    assert decoded.record_count == 120


def test_hrv_messages_become_rr_intervals_in_seconds():
    decoded = decode_fit(samples.activity(n=30, hrv=True))
    hrv = decoded.tables["hrv"].to_pylist()
    assert [round(r["rr_s"], 3) for r in hrv] == [round(0.8 + 0.01 * i, 3) for i in range(12)]
    assert [r["beat_index"] for r in hrv] == list(range(12))


def test_sleep_wellness_file_keeps_levels_assessment_and_hrv_status():
    decoded = decode_fit(samples.sleep_night())
    assert decoded.status == "imported"
    levels = decoded.tables["sleep_level"].to_pylist()
    assert len(levels) == sum(minutes for _, minutes in samples.SLEEP_NIGHT)
    assert levels[0]["timestamp"] == samples.SLEEP_START and levels[0]["sleep_level"] == "awake"
    assert {row["sleep_level"] for row in levels} == {"awake", "light", "deep", "rem", "unmeasurable"}
    assert decoded.tables["sleep_assessment"].to_pylist()[0]["overall_sleep_score"] == 82
    summary = decoded.tables["hrv_status_summary"].to_pylist()[0]
    assert (summary["last_night_average"], summary["status"]) == (47.5, "balanced")
    assert decoded.tables["hrv_value"].column("value").to_pylist()[:2] == [40.0, 41.0]


def test_developer_fields_are_kept_and_named_by_their_description():
    decoded = decode_fit(samples.activity(n=20, developer_field=True))
    records = decoded.tables["record"]
    assert "dev_Form Power" in records.column_names
    expected = [row["power"] // 2 for row in samples.expected_track(20)]
    assert records.column("dev_Form Power").to_pylist() == [float(v) for v in expected]
    description = decoded.tables["field_description"].to_pylist()[0]
    assert description["field_name"] == "Form Power" and description["units"] == "W"
    assert decoded.tables["developer_data_id"].num_rows == 1


def test_compressed_timestamps_are_expanded():
    data, expected_times = samples.compressed_timestamps(n=40)
    decoded = decode_fit(data)
    assert decoded.status == "imported"
    times = [t.timestamp() for t in decoded.tables["record"].column("timestamp").to_pylist()]
    assert times == expected_times
    assert decoded.tables["record"].column("heart_rate").to_pylist()[:3] == [90, 101, 102]


def test_zero_header_crc_is_accepted_as_valid():
    decoded = decode_fit(samples.zero_header_crc_activity(n=10))
    assert decoded.status == "imported"
    assert decoded.record_count == 10
    assert any("0x0000" in w for w in decoded.warnings)


def test_zero_header_crc_with_wrong_file_crc_is_not_imported_as_good():
    data = bytearray(samples.zero_header_crc_activity(n=10))
    data[-1] ^= 0xFF
    decoded = decode_fit(bytes(data))
    assert decoded.status == "partial"
    assert "file CRC mismatch" in decoded.reason
    assert decoded.record_count == 10


def test_chained_files_are_read_whole():
    decoded = decode_fit(samples.chained(samples.activity(n=30), samples.activity(n=20)))
    assert decoded.status == "imported"
    assert decoded.record_count == 50
    assert decoded.tables["file_id"].num_rows == 2
    assert decoded.tables["session"].num_rows == 2


def test_truncated_file_is_partial_with_what_came_before():
    data = samples.activity(n=120)
    decoded = decode_fit(data[: len(data) // 2])
    assert decoded.status == "partial"
    assert "truncated" in decoded.reason
    assert decoded.parser == "fitfast+salvage"
    assert 0 < decoded.record_count < 120
    first = samples.expected_track(1)[0]
    assert decoded.tables["record"].column("heart_rate").to_pylist()[0] == first["heart_rate"]


def test_bad_file_crc_is_partial_with_the_crc_values_in_the_reason():
    data = bytearray(samples.activity(n=30))
    data[-2] ^= 0x5A
    decoded = decode_fit(bytes(data))
    assert decoded.status == "partial"
    assert "file CRC mismatch (stored 0x" in decoded.reason
    assert decoded.record_count == 30


def test_second_segment_with_corrupt_header_keeps_the_first():
    data = samples.activity(n=30) + b"\x0e\x20garbage-not-a-fit-header" * 3
    decoded = decode_fit(data)
    assert decoded.status == "partial"
    assert "not a FIT segment" in decoded.reason
    assert decoded.record_count == 30


def test_undefined_local_message_keeps_the_messages_before_it():
    writer = FitWriter()
    writer.define(0, 20, [(253, "I"), (3, "B")])
    for i in range(5):
        writer.data(0, 1_000_000_000 + i, 130)
    writer.raw(b"\x05" + b"\x00" * 5)  # data message of local type 5, never defined
    decoded = decode_fit(writer.to_bytes())
    assert decoded.status == "partial"
    assert "undefined local message type 5" in decoded.reason
    assert decoded.record_count == 5


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (b"", "empty.fit", "empty file"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "photo.fit", "PNG image"),
        (b"hello, this is a text file and not a workout", "notes.txt", "neither FIT, GPX nor TCX"),
        (b"hello, this is a text file and not a workout", "run.fit", "named .fit but the content is not FIT"),
        (b"%PDF-1.7 ...", "plan.pdf", "PDF document"),
        (b"<?xml version='1.0'?><kml><Document/></kml>", "route.kml", "XML without a <gpx>"),
    ],
)
def test_non_fitness_content_is_quarantined_with_a_clear_reason(data, name, reason):
    decoded = decode_bytes(data, name)
    assert decoded.status == "quarantined"
    assert reason in decoded.reason


def test_fit_header_followed_by_garbage_is_quarantined():
    header = bytearray(b"\x0e\x20\x54\x08" + (5000).to_bytes(4, "little") + b".FIT")
    header += crc16(bytes(header)).to_bytes(2, "little")
    decoded = decode_fit(bytes(header) + bytes(range(7, 255)) * 3)
    assert decoded.status in ("quarantined", "partial")
    assert decoded.reason


def test_impossible_values_are_nulled_and_counted():
    writer = FitWriter()
    start = 1_714_543_200 - FIT_EPOCH
    writer.define(0, 20, [(253, "I"), (0, "i"), (1, "i"), (3, "B"), (7, "H")])
    writer.data(0, start, _degrees_to_semicircles(46.5), _degrees_to_semicircles(15.5), 140, 250)  # fine
    writer.data(
        0, start + 1, _degrees_to_semicircles(123.0), _degrees_to_semicircles(15.5), 140, 250
    )  # lat 123
    writer.data(
        0, start + 2, _degrees_to_semicircles(46.5), _degrees_to_semicircles(15.5), 252, 250
    )  # HR 252
    writer.data(
        0, start + 3, _degrees_to_semicircles(46.5), _degrees_to_semicircles(15.5), 12, 3000
    )  # HR 12, 3 kW
    decoded = decode_fit(writer.to_bytes())
    records = decoded.tables["record"].to_pylist()
    assert decoded.status == "imported"
    assert records[0]["position_lat"] == pytest.approx(46.5, abs=1e-6) and records[0]["heart_rate"] == 140
    assert records[1]["position_lat"] is None and records[1]["position_long"] is None
    assert records[2]["heart_rate"] is None and records[3]["heart_rate"] is None
    assert records[3]["power"] is None and records[2]["power"] == 250
    assert decoded.nulled == {
        "position_out_of_range": 1,
        "heart_rate_out_of_range": 2,
        "power_out_of_range": 1,
    }


def test_system_time_timestamps_are_not_loaded_as_dates():
    writer = FitWriter()
    writer.define(0, 20, [(253, "I"), (3, "B")])
    writer.data(0, 1000, 120)  # 1000 s since device power-on, not a date
    writer.data(0, 1001, 121)
    decoded = decode_fit(writer.to_bytes())
    records = decoded.tables["record"]
    assert records.column("timestamp").null_count == 2
    assert records.column("system_time_s").to_pylist() == [1000.0, 1001.0]
    assert decoded.nulled["timestamp_relative"] == 2


def test_salvage_reports_nothing_for_a_valid_file():
    data = samples.activity(n=10)
    result = salvage(data)
    assert result.problems == [] and result.segments == 1


def test_monitoring_timestamp_16_is_expanded_to_full_times():
    writer = FitWriter()
    reference = 1_714_543_200 - FIT_EPOCH  # 2024-05-01T06:00:00Z in FIT seconds
    writer.define(0, 103, [(253, "I")]).data(0, reference)  # monitoring_info
    writer.define(1, 55, [(26, "H"), (27, "B")])  # monitoring: timestamp_16, heart_rate
    offsets = [60, 120, 40_000, 70_000]  # the 16-bit counter wraps; consecutive gaps stay below 65536 s
    for offset in offsets:
        writer.data(1, (reference + offset) & 0xFFFF, 60)
    decoded = decode_fit(writer.to_bytes())
    times = [t.timestamp() for t in decoded.tables["monitoring"].column("timestamp").to_pylist()]
    assert times == [1_714_543_200 + offset for offset in offsets]
    assert decoded.tables["monitoring"].column("heart_rate").to_pylist() == [60] * 4


def test_wellness_messages_become_typed_tables():
    writer = FitWriter()
    start = 1_714_543_200 - FIT_EPOCH
    writer.define(0, 275, [(253, "I"), (0, "B")])  # sleep_level: timestamp, sleep_level
    for i, level in enumerate((1, 2, 3, 4)):
        writer.data(0, start + 60 * i, level)
    writer.define(1, 227, [(0, "h"), (1, "I")])  # stress_level: value, time
    writer.data(1, 35, start)
    writer.define(2, 30, [(253, "I"), (0, "H")])  # weight_scale: timestamp, weight (1/100 kg)
    writer.data(2, start, 7250)
    decoded = decode_fit(writer.to_bytes())
    assert decoded.status == "imported"
    levels = decoded.tables["sleep_level"].to_pylist()
    assert [row["sleep_level"] for row in levels] == ["awake", "light", "deep", "rem"]
    assert levels[1]["timestamp"].timestamp() == 1_714_543_260
    stress = decoded.tables["stress_level"].to_pylist()[0]
    assert stress["stress_level_value"] == 35 and stress["stress_level_time"].timestamp() == 1_714_543_200
    assert decoded.tables["weight_scale"].to_pylist()[0]["weight"] == 72.5


def test_absurd_sizes_are_refused_before_decoding(monkeypatch):
    import ingestion.files.decode as decode_module

    monkeypatch.setattr(decode_module, "MAX_FIT_BYTES", 1000)
    decoded = decode_bytes(samples.activity(n=120), "big.fit")
    assert decoded.status == "quarantined"
    assert "exceeds the 1000 byte limit" in decoded.reason


def test_unknown_and_unmodelled_messages_are_kept_raw_as_json():
    writer = FitWriter()
    writer.define(0, 233, [(1, "H"), (2, "I")])  # a message number outside the FIT profile
    writer.data(0, 7, 123456)
    writer.define(1, 2, [(1, "B")])  # device_settings: known to the profile, not a typed table here
    writer.data(1, 0)
    decoded = decode_fit(writer.to_bytes())
    other = decoded.tables["other_message"].to_pylist()
    assert {row["message"] for row in other} == {"unknown_233", "device_settings"}
    unknown = next(row for row in other if row["message"] == "unknown_233")
    assert unknown["message_number"] == 233
    assert json.loads(unknown["fields"]) == {"1": 7, "2": 123456}
