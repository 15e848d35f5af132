"""Property test over every format: FIT, GPX and TCX files generated in this suite, mutated by bit flips,
truncation and duplicated chunks, go through the isolated decoder pool the import uses.

For every mutant: no crash (no worker death, no decoder exception), no hang (the pool's per-file time limit is
never reached), never ``imported`` with 0 records nor ``imported``/``partial`` with no data at all, and nothing
of it leaks into other rows: within the file every track point belongs to an activity/track of that file, and
a clean file decoded next by the same worker comes out exactly as it does alone.
"""

from __future__ import annotations

from pathlib import Path

import fit_samples as samples
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_gpx_tcx import GPX, TCX, TCX_MULTISPORT, _timed_gpx

from ingestion.files.model import DecodedFile, data_rows
from ingestion.files.workers import DecodeJob, IsolatedDecoder

TIME_LIMIT_S = 15.0  # a generated file decodes in milliseconds: reaching this is a hang

BASES = {
    "activity.fit": samples.activity(n=20, developer_field=True, hrv=True),
    "multisport.fit": samples.multisport(n_each=8),
    "ride.gpx": GPX,
    "walk.gpx": _timed_gpx([(46.50, 15.5), (46.51, 15.5), (46.52, 15.5), (46.53, 15.51)]),
    "two.tcx": TCX,
    "triathlon.tcx": TCX_MULTISPORT,
}
REFERENCE = ("reference.tcx", TCX_MULTISPORT)  # decoded right after each mutant by the same worker
# Where a track point names its parent row, per format: (record column, parent table, parent column).
PARENT_OF_POINTS = {"tcx": ("activity_index", "activity"), "gpx": ("track_index", "track")}


# A few small real third-party files (../shared/fixtures/MANIFEST.md), each with track points; the test over
# them is skipped when the folder is absent.
FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures"
REAL_BASES = {
    name: (FIXTURES / name).read_bytes()
    for name in (
        "fit/python-fitparse/Activity.fit",
        "fit/python-fitparse/activity-settings.fit",
        "gpx/gpxpy/track-with-empty-segment.gpx",
        "gpx/gpxpy/Mojstrovka.gpx",
        "tcx/tcxreader/sup_activity_1.tcx",
    )
    if (FIXTURES / name).is_file()
}


@st.composite
def mutated_file(draw, bases: dict[str, bytes]) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(bases)))
    data = bytearray(bases[name])
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        kind = draw(st.sampled_from(["flip", "truncate", "duplicate"]))
        at = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[at:]
        else:  # a copy of another region inserted here: repeated definitions, elements, headers
            start = draw(st.integers(0, len(data) - 1))
            data[at:at] = data[start : start + draw(st.integers(1, 256))]
    return name, bytes(data)


@pytest.fixture(scope="module")
def pool():
    with IsolatedDecoder(workers=1, timeout_s=TIME_LIMIT_S) as decoder:
        yield decoder


@pytest.fixture(scope="module")
def reference_alone(pool, tmp_path_factory) -> DecodedFile:
    path = tmp_path_factory.mktemp("reference") / REFERENCE[0]
    path.write_bytes(REFERENCE[1])
    [(_, decoded)] = list(pool.decode([DecodeJob("reference", str(path), REFERENCE[0])]))
    assert decoded.status == "imported" and decoded.record_count > 0
    return decoded


def _same_tables(left: DecodedFile, right: DecodedFile) -> bool:
    return left.tables.keys() == right.tables.keys() and all(
        left.tables[name].equals(right.tables[name]) for name in left.tables
    )


PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,  # the pool's per-file time limit is the hang detector (a hung worker is killed)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)


@pytest.mark.timeout(300)
@PROPERTY_SETTINGS
@given(mutant=mutated_file(BASES))
def test_mutated_files_never_crash_hang_load_nothing_or_leak(mutant, pool, reference_alone, tmp_path):
    _check(mutant, pool, reference_alone, tmp_path)


@pytest.mark.timeout(300)
@pytest.mark.skipif(not REAL_BASES, reason="../shared/fixtures is not present")
@PROPERTY_SETTINGS
@given(mutant=mutated_file(REAL_BASES or {"unused": b""}))
def test_mutated_real_files_never_crash_hang_load_nothing_or_leak(mutant, pool, reference_alone, tmp_path):
    _check(mutant, pool, reference_alone, tmp_path)


def _check(mutant: tuple[str, bytes], pool, reference_alone: DecodedFile, tmp_path) -> None:
    name, data = mutant
    mutant_path = tmp_path / f"mutant-{Path(name).name}"
    mutant_path.write_bytes(data)
    reference_path = tmp_path / REFERENCE[0]
    reference_path.write_bytes(REFERENCE[1])
    results = dict(
        (job.key, decoded)
        for job, decoded in pool.decode(
            [
                DecodeJob("mutant", str(mutant_path), name),
                DecodeJob("reference", str(reference_path), REFERENCE[0]),
            ]
        )
    )
    decoded = results["mutant"]

    # no crash, no hang: those are reported as reasons by the pool, never raised
    reason = decoded.reason or ""
    for symptom in ("time limit", "decoder process died", "decoder error", "memory limit"):
        assert symptom not in reason, (name, reason)
    assert decoded.status in ("imported", "partial", "quarantined")
    if decoded.status != "imported":
        assert decoded.reason, (name, decoded.status)
    if decoded.status == "quarantined":
        assert decoded.tables == {}
    else:
        assert data_rows(decoded) > 0, (name, decoded.status, decoded.reason, decoded.counts())
    if decoded.status == "imported":  # every base file has track points
        assert decoded.record_count > 0, (name, decoded.reason, decoded.counts())
    for table in decoded.tables.values():
        table.validate(full=True)

    # nothing leaks: points belong to rows of this file, the next file decodes as it does alone
    parent = PARENT_OF_POINTS.get(decoded.format)
    if parent and decoded.record_count:
        column, table = parent
        owners = set(decoded.tables["record"].column(column).to_pylist())
        known = set(decoded.tables[table].column(column).to_pylist()) if table in decoded.tables else set()
        assert owners <= known, (name, owners, known)
    reference = results["reference"]
    assert (reference.status, reference.reason) == (reference_alone.status, reference_alone.reason)
    assert _same_tables(reference, reference_alone)
