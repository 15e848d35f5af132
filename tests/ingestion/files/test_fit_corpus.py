"""The shared fixture corpus (real third-party files), skipped cleanly when ../shared/fixtures is absent.

Every file ends imported, partial or quarantined without a crash (through the isolated worker pool, as the
importer runs it). For every FIT file fitparse (the correctness oracle) reads, our record count and the common
fields equal fitparse's. Both sides are compared after the same conventions: positions in degrees, speed and
altitude from the 16-bit field when present else the enhanced one, and the project's plausibility rules (HR
25-250, power <= 2500 W, |lat| <= 90, |lon| <= 180) applied to the oracle too; FIT "system time" values
(below 0x10000000, not dates) are compared as raw seconds.
"""

from __future__ import annotations

import math
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingestion.files.fit import FIT_EPOCH
from ingestion.files.workers import decode_files

FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures"
FIT_DIR = FIXTURES / "fit"
CORPUS_FILES = (
    sorted(p for sub in ("fit", "gpx", "tcx") for p in (FIXTURES / sub).rglob("*") if p.is_file())
    if FIXTURES.is_dir()
    else []
)
FIT_FILES = [p for p in CORPUS_FILES if p.suffix.lower() == ".fit"]

pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="../shared/fixtures is not present")

SEMICIRCLES = 180.0 / 2**31


@pytest.fixture(scope="module")
def corpus_results():
    return dict(decode_files(CORPUS_FILES, workers=2))


def test_every_corpus_file_is_accounted_for(corpus_results):
    assert len(corpus_results) == len(CORPUS_FILES) > 0
    statuses = {}
    for path, result in corpus_results.items():
        assert result.status in ("imported", "partial", "quarantined"), path
        if result.status != "imported":
            assert result.reason, path
        statuses[result.status] = statuses.get(result.status, 0) + 1
    assert statuses.get("imported", 0) > 0.8 * len(CORPUS_FILES)
    # The corpus's known-corrupt FIT files are salvaged, not imported as good.
    for name in (
        "activity-filecrc.fit",
        "activity-unexpected-eof.fit",
        "activity-settings-corruptheader.fit",
    ):
        (result,) = [r for p, r in corpus_results.items() if p.endswith("/" + name)]
        assert result.status == "partial" and result.record_count == 14, name
    zero_crc = next(r for p, r in corpus_results.items() if p.endswith("ZeroHeaderCrc.fit"))
    assert zero_crc.status == "imported" and zero_crc.record_count == 81


def _plausible(name: str, value):
    if value is None:
        return None
    if name == "heart_rate" and not (25 <= value <= 250):
        return None
    if name == "power" and not (0 <= value <= 2500):
        return None
    return value


def _oracle_records(path: Path) -> list[dict] | None:
    import fitparse

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            messages = list(fitparse.FitFile(str(path)).get_messages("record"))
    except Exception:  # the oracle cannot read it: nothing to compare against
        return None
    rows = []
    for message in messages:
        values: dict = {}
        for field in message.fields:  # component expansion can repeat a name with None: keep the real value
            if values.get(field.name) is None:
                values[field.name] = field.value
        row = {}
        stamp = values.get("timestamp")
        if isinstance(stamp, datetime):
            row["timestamp"] = stamp.replace(tzinfo=UTC).timestamp()
        elif isinstance(stamp, int):
            row["system_time_s"] = float(stamp)
        lat, lon = values.get("position_lat"), values.get("position_long")
        lat = None if lat is None else lat * SEMICIRCLES
        lon = None if lon is None else lon * SEMICIRCLES
        if lat is not None and lon is not None and (abs(lat) > 90 or abs(lon) > 180):
            lat = lon = None
        row["position_lat"], row["position_long"] = lat, lon
        speed = values.get("speed")
        row["speed"] = speed if isinstance(speed, int | float) else values.get("enhanced_speed")
        altitude = values.get("altitude")
        row["altitude"] = altitude if isinstance(altitude, int | float) else values.get("enhanced_altitude")
        for name in ("heart_rate", "power", "cadence", "distance"):
            value = values.get(name)
            row[name] = _plausible(name, value if isinstance(value, int | float) else None)
        rows.append(row)
    return rows


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("path", FIT_FILES, ids=lambda p: str(p.relative_to(FIT_DIR)))
def test_records_equal_fitparse(path, corpus_results):
    oracle = _oracle_records(path)
    if oracle is None:
        pytest.skip("fitparse cannot read this file")
    result = corpus_results[str(path)]
    assert result.status == "imported", result.reason
    table = result.tables["record"]
    assert table.num_rows == len(oracle)
    ours = table.to_pylist()
    for index, (mine, theirs) in enumerate(zip(ours, oracle, strict=True)):
        if "system_time_s" in theirs:
            assert mine["timestamp"] is None and _same(mine["system_time_s"], theirs["system_time_s"]), index
        elif "timestamp" in theirs:
            stamp = mine["timestamp"]
            assert stamp is not None and stamp.timestamp() == theirs["timestamp"], index
        else:  # records without a timestamp field
            assert mine["timestamp"] is None, index
        for name in (
            "position_lat",
            "position_long",
            "heart_rate",
            "power",
            "cadence",
            "speed",
            "altitude",
            "distance",
        ):
            assert _same(mine[name], theirs[name]), (index, name, mine[name], theirs[name])
    # the epoch conversion of the oracle's datetimes agrees with the FIT epoch we use
    assert int(datetime(1989, 12, 31, tzinfo=UTC).timestamp()) == FIT_EPOCH
