"""A minimal FIT writer: definition and data messages, normal or compressed-timestamp headers, correct CRCs.

Used to warm up decoder processes and by the tests to build files fit-tool cannot write (compressed
timestamps, chained segments, 0x0000 header CRCs, deliberate damage).
"""

from __future__ import annotations

import struct

from ingestion.files.fit_bytes import crc16

# struct code -> FIT base type id
BASE_TYPES = {"B": 0x02, "b": 0x01, "H": 0x84, "h": 0x83, "I": 0x86, "i": 0x85, "f": 0x88}


class FitWriter:
    def __init__(self) -> None:
        self._body = bytearray()
        self._formats: dict[int, str] = {}

    def define(self, local: int, global_num: int, fields: list[tuple[int, str]]) -> FitWriter:
        """Define local message type `local` as `global_num` with (field number, struct code) fields."""
        self._body.append(0x40 | local)
        self._body += struct.pack("<BBHB", 0, 0, global_num, len(fields))
        for number, code in fields:
            self._body += bytes([number, struct.calcsize(code), BASE_TYPES[code]])
        self._formats[local] = "<" + "".join(code for _, code in fields)
        return self

    def data(self, local: int, *values: int | float, time_offset: int | None = None) -> FitWriter:
        """A data message; with `time_offset` (0-31) it uses a compressed-timestamp header (local 0-3)."""
        if time_offset is None:
            self._body.append(local & 0x0F)
        else:
            self._body.append(0x80 | (local & 0x03) << 5 | (time_offset & 0x1F))
        self._body += struct.pack(self._formats[local], *values)
        return self

    def raw(self, data: bytes) -> FitWriter:
        self._body += data
        return self

    def to_bytes(self, header_size: int = 14, zero_header_crc: bool = False) -> bytes:
        header = struct.pack("<BBHI4s", header_size, 0x20, 2132, len(self._body), b".FIT")
        if header_size == 14:
            header += struct.pack("<H", 0 if zero_header_crc else crc16(header))
        file_bytes = header + bytes(self._body)
        return file_bytes + struct.pack("<H", crc16(file_bytes))


FIT_EPOCH = 631065600


def tiny_activity(n_records: int = 5, start_unix: int = 1_700_000_000) -> bytes:
    """A small valid activity file: file_id + records (timestamp, lat, long, heart rate)."""
    writer = FitWriter()
    writer.define(
        0, 0, [(0, "B"), (1, "H"), (2, "H"), (4, "I")]
    )  # file_id: type, manufacturer, product, time
    writer.data(0, 4, 255, 1, start_unix - FIT_EPOCH)
    writer.define(1, 20, [(253, "I"), (0, "i"), (1, "i"), (3, "B")])
    for i in range(n_records):
        writer.data(1, start_unix - FIT_EPOCH + i, 600_000_000 + i * 100, 100_000_000 + i * 100, 120 + i)
    return writer.to_bytes()
