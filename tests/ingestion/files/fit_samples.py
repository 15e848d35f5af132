"""FIT files generated for the tests: fit-tool writes the ordinary ones; the project's small FitWriter builds the
byte-level cases fit-tool cannot (compressed timestamps, chained segments, 0x0000 header CRCs, damage)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from fit_tool.base_type import BaseType
from fit_tool.developer_field import DeveloperField
from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.developer_data_id_message import DeveloperDataIdMessage
from fit_tool.profile.messages.device_info_message import DeviceInfoMessage
from fit_tool.profile.messages.event_message import EventMessage
from fit_tool.profile.messages.field_description_message import FieldDescriptionMessage
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.hrv_message import HrvMessage
from fit_tool.profile.messages.hrv_status_summary_message import HrvStatusSummaryMessage
from fit_tool.profile.messages.hrv_value_message import HrvValueMessage
from fit_tool.profile.messages.lap_message import LapMessage
from fit_tool.profile.messages.record_message import RecordMessage
from fit_tool.profile.messages.session_message import SessionMessage
from fit_tool.profile.messages.sleep_assessment_message import SleepAssessmentMessage
from fit_tool.profile.messages.sleep_level_message import SleepLevelMessage
from fit_tool.profile.profile_type import (
    Event,
    EventType,
    FileType,
    HrvStatus,
    Manufacturer,
    SleepLevel,
    Sport,
)

from ingestion.files.fit_writer import FIT_EPOCH, FitWriter

START = datetime(2024, 5, 1, 6, 0, 0, tzinfo=UTC)
START_MS = int(START.timestamp()) * 1000


def expected_track(n: int, offset_s: int = 0) -> list[dict]:
    """The values the generated activity records carry (what a decoder must give back)."""
    rows = []
    for i in range(n):
        t = offset_s + i
        rows.append(
            {
                "t": int(START.timestamp()) + t,
                "lat": 46.5 + 0.0001 * t,
                "lon": 15.5 + 0.0002 * t,
                "heart_rate": 100 + (t % 60),
                "power": 150 + (t % 100),
                "cadence": 80 + (t % 10),
                "speed": round(3.0 + 0.5 * math.sin(t / 10), 3),
                "altitude": round(200.0 + t * 0.2, 1),
                "distance": float(t * 3),
            }
        )
    return rows


def _file_id(
    builder: FitFileBuilder, manufacturer: int = Manufacturer.DEVELOPMENT.value, serial: int = 0x12345678
) -> None:
    message = FileIdMessage()
    message.type = FileType.ACTIVITY
    message.manufacturer = manufacturer
    message.product = 1
    message.time_created = START_MS
    message.serial_number = serial
    builder.add(message)


def _records(builder: FitFileBuilder, n: int, offset_s: int = 0, developer_field: bool = False) -> None:
    for row in expected_track(n, offset_s):
        dev_fields = []
        if developer_field:
            dev = DeveloperField(
                developer_data_index=0,
                field_id=0,
                size=2,
                base_type=BaseType.UINT16,
                name="Form Power",
                units="W",
            )
            dev.set_value(0, row["power"] // 2)
            dev_fields.append(dev)
        record = RecordMessage(developer_fields=dev_fields)
        record.timestamp = row["t"] * 1000
        record.position_lat = row["lat"]
        record.position_long = row["lon"]
        record.heart_rate = row["heart_rate"]
        record.power = row["power"]
        record.cadence = row["cadence"]
        record.speed = row["speed"]
        record.altitude = row["altitude"]
        record.distance = row["distance"]
        builder.add(record)


def _event(builder: FitFileBuilder, t_ms: int, event_type: EventType) -> None:
    event = EventMessage()
    event.event = Event.TIMER
    event.event_type = event_type
    event.timestamp = t_ms
    builder.add(event)


def _lap_and_session(builder: FitFileBuilder, offset_s: int, n: int, sport: Sport, index: int) -> None:
    lap = LapMessage()
    lap.timestamp = START_MS + (offset_s + n) * 1000
    lap.start_time = START_MS + offset_s * 1000
    lap.total_elapsed_time = float(n)
    lap.total_timer_time = float(n)
    lap.sport = sport
    builder.add(lap)
    session = SessionMessage()
    session.timestamp = START_MS + (offset_s + n) * 1000
    session.start_time = START_MS + offset_s * 1000
    session.total_elapsed_time = float(n)
    session.total_timer_time = float(n)
    session.sport = sport
    session.first_lap_index = index
    session.num_laps = 1
    builder.add(session)


def activity(
    n: int = 120,
    developer_field: bool = False,
    hrv: bool = False,
    manufacturer: int = Manufacturer.DEVELOPMENT.value,
    serial: int = 0x12345678,
) -> bytes:
    """A running activity: file_id, two devices, timer events, n 1 Hz records, one lap and one session.
    `manufacturer` and `serial` name the recording device (another pair: the same run from a second device)."""
    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    _file_id(builder, manufacturer, serial)
    for index, (manufacturer, product) in enumerate(
        ((Manufacturer.DEVELOPMENT.value, 1), (Manufacturer.GARMIN.value, 2))
    ):
        device = DeviceInfoMessage()
        device.timestamp = START_MS
        device.device_index = index
        device.manufacturer = manufacturer
        device.product = product
        builder.add(device)
    if developer_field:
        developer = DeveloperDataIdMessage()
        developer.developer_data_index = 0
        developer.application_id = bytes(range(16))
        builder.add(developer)
        description = FieldDescriptionMessage()
        description.developer_data_index = 0
        description.field_definition_number = 0
        description.fit_base_type_id = BaseType.UINT16.value
        description.field_name = "Form Power"
        description.units = "W"
        builder.add(description)
    _event(builder, START_MS, EventType.START)
    _records(builder, n, developer_field=developer_field)
    if hrv:
        for i in range(0, 12, 3):
            message = HrvMessage()
            message.time = [0.8 + 0.01 * (i + k) for k in range(3)]
            builder.add(message)
    _event(builder, START_MS + n * 1000, EventType.STOP_ALL)
    _lap_and_session(builder, 0, n, Sport.RUNNING, 0)
    return builder.build().to_bytes()


def multisport(n_each: int = 60, start_offset_s: int = 0) -> bytes:
    """A run then a ride in one file: two sessions, two laps, records across both (from START + start_offset_s)."""
    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    _file_id(builder)
    _event(builder, START_MS + start_offset_s * 1000, EventType.START)
    _records(builder, n_each, offset_s=start_offset_s)
    _lap_and_session(builder, start_offset_s, n_each, Sport.RUNNING, 0)
    _records(builder, n_each, offset_s=start_offset_s + n_each)
    _lap_and_session(builder, start_offset_s + n_each, n_each, Sport.CYCLING, 1)
    _event(builder, START_MS + (start_offset_s + 2 * n_each) * 1000, EventType.STOP_ALL)
    return builder.build().to_bytes()


def compressed_timestamps(n: int = 40, start_offset_s: int = 0) -> tuple[bytes, list[int]]:
    """Records with compressed-timestamp headers (5-bit offsets rolling over every 32 s); returns expected times."""
    writer = FitWriter()
    start = int(START.timestamp()) + start_offset_s - FIT_EPOCH
    writer.define(0, 0, [(0, "B"), (1, "H"), (2, "H"), (4, "I")]).data(0, 4, 255, 1, start)
    writer.define(1, 20, [(253, "I"), (3, "B")]).data(1, start, 90)  # a full timestamp first
    writer.define(2, 20, [(3, "B")])
    expected = [start + FIT_EPOCH]
    t = start
    for i in range(1, n):
        t += 3  # 3 s steps: the 5-bit offset rolls over several times
        writer.data(2, 100 + i % 50, time_offset=t & 0x1F)
        expected.append(t + FIT_EPOCH)
    return writer.to_bytes(), expected


def zero_header_crc_activity(n: int = 10, start_offset_s: int = 0) -> bytes:
    """A valid file whose 14-byte header CRC is 0x0000 (allowed by the FIT spec)."""
    writer = FitWriter()
    start = int(START.timestamp()) + start_offset_s - FIT_EPOCH
    writer.define(0, 0, [(0, "B"), (1, "H"), (2, "H"), (4, "I")]).data(0, 4, 255, 1, start)
    writer.define(1, 20, [(253, "I"), (3, "B")])
    for i in range(n):
        writer.data(1, start + i, 120 + i)
    return writer.to_bytes(zero_header_crc=True)


def chained(first: bytes, second: bytes) -> bytes:
    return first + second


SLEEP_START = datetime(2024, 5, 1, 22, 0, 0, tzinfo=UTC)
# (level, minutes): the night the sleep generator writes, one sleep_level message per minute
SLEEP_NIGHT = (
    (SleepLevel.AWAKE, 5),
    (SleepLevel.LIGHT, 20),
    (SleepLevel.DEEP, 30),
    (SleepLevel.UNMEASURABLE, 2),
    (SleepLevel.LIGHT, 15),
    (SleepLevel.REM, 10),
    (SleepLevel.AWAKE, 3),
)


def sleep_night() -> bytes:
    """A wellness file of one night: per-minute sleep levels, a sleep assessment (score 82), overnight 5-minute
    HRV readings and the HRV status summary written at wake-up."""
    builder = FitFileBuilder(auto_define=True, min_string_size=50)
    message = FileIdMessage()
    message.type = FileType.MONITORING_B
    message.manufacturer = Manufacturer.DEVELOPMENT.value
    message.product = 1
    message.time_created = int(SLEEP_START.timestamp()) * 1000
    message.serial_number = 0x12345678
    builder.add(message)
    start_ms = int(SLEEP_START.timestamp()) * 1000
    minute = 0
    for level, minutes in SLEEP_NIGHT:
        for _ in range(minutes):
            sleep_level = SleepLevelMessage()
            sleep_level.timestamp = start_ms + minute * 60_000
            sleep_level.sleep_level = level
            builder.add(sleep_level)
            minute += 1
    for i in range(minute // 5):
        reading = HrvValueMessage()
        reading.timestamp = start_ms + i * 300_000
        reading.value = 40.0 + i
        builder.add(reading)
    summary = HrvStatusSummaryMessage()
    summary.timestamp = start_ms + minute * 60_000
    summary.weekly_average = 50.0
    summary.last_night_average = 47.5
    summary.status = HrvStatus.BALANCED
    builder.add(summary)
    assessment = SleepAssessmentMessage()
    assessment.overall_sleep_score = 82
    builder.add(assessment)
    return builder.build().to_bytes()
