"""Property test: mutated FIT files never crash or hang the decoder; every result has a status and a reason
when it is not a clean import."""

from __future__ import annotations

import fit_samples as samples
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingestion.files.decode import decode_bytes

BASES = [
    samples.activity(n=20, developer_field=True, hrv=True),
    samples.multisport(n_each=8),
    samples.compressed_timestamps(n=20)[0],
    samples.zero_header_crc_activity(n=8),
]


@st.composite
def mutated_fit(draw):
    data = bytearray(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "splice"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[at] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, 0x40, 0x0E, 0x0C]))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif kind == "truncate":
            del data[at:]
        else:  # splice in a copy of another region (duplicated definitions, repeated headers)
            start = draw(st.integers(0, len(data) - 1))
            data[at:at] = data[start : start + draw(st.integers(1, 64))]
    return bytes(data)


@pytest.mark.timeout(120)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(mutated_fit())
def test_mutated_fit_files_never_crash(data):
    decoded = decode_bytes(data, "fuzz.fit")
    assert decoded.status in ("imported", "partial", "quarantined")
    if decoded.status != "imported":
        assert decoded.reason
    if decoded.status == "quarantined":
        assert decoded.tables == {}
    for table in decoded.tables.values():
        table.validate(full=True)
