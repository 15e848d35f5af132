"""What must be quarantined and how it is reported: a file that gives no data, copies of a quarantined file,
XML whose root comes after a long prolog, and decoder panics kept off the terminal."""

from __future__ import annotations

import random

import duckdb
import fit_samples as samples
import pytest

from ingestion.files.decode import decode_bytes, sniff
from ingestion.files.importer import import_paths
from ingestion.files.workers import DecodeJob, IsolatedDecoder
from openfit.settings import Settings


def _random_bytes_behind_a_fit_header(seed: int) -> bytes:
    header = samples.activity(n=20)[:14]  # a valid 14-byte header, its data size and CRC intact
    generator = random.Random(seed)
    return header + bytes(generator.getrandbits(8) for _ in range(2000))


def _panicking_fit() -> bytes:
    # Two bytes of a definition message changed: fitfast (Rust) panics on a division by zero.
    data = bytearray(samples.compressed_timestamps(n=20)[0])
    data[46], data[50] = 135, 49
    return bytes(data)


@pytest.mark.parametrize("seed", range(4))
def test_random_bytes_behind_a_valid_fit_header_are_quarantined(seed):
    decoded = decode_bytes(_random_bytes_behind_a_fit_header(seed), "noise.fit")
    assert decoded.status == "quarantined", (decoded.status, decoded.reason, decoded.counts())
    assert decoded.reason.startswith("no data decoded")
    assert decoded.tables == {}


def test_a_gpx_without_points_is_quarantined_not_imported_with_nothing():
    empty = b'<?xml version="1.0"?><gpx version="1.1"><metadata><name>x</name></metadata><trk/></gpx>'
    decoded = decode_bytes(empty, "empty.gpx")
    assert decoded.status == "quarantined"
    assert decoded.reason == "no data decoded: GPX holds no track points, waypoints or routes"


def test_a_settings_like_fit_file_without_track_points_is_still_imported():
    # no `record` rows, but sessions and laps: data, so not refused by the "no data" rule
    decoded = decode_bytes(samples.multisport(n_each=0), "summary.fit")
    assert decoded.record_count == 0
    assert decoded.status == "imported", decoded.reason


def test_an_xml_root_after_a_long_prolog_is_found():
    comment = b"<!-- " + b"padding " * 10_000 + b"-->\n"  # 80 KB: past any fixed sniffing window
    gpx = (
        b'<?xml version="1.0"?>\n' + comment + b'<gpx version="1.1"><trk><trkseg>'
        b'<trkpt lat="46.5" lon="15.5"><time>2024-05-01T06:00:00Z</time></trkpt></trkseg></trk></gpx>'
    )
    assert sniff(gpx) == "gpx"
    decoded = decode_bytes(gpx, "long.gpx")
    assert decoded.status == "imported" and decoded.record_count == 1

    kml = b'<?xml version="1.0"?>\n' + comment + b"<kml><Document/></kml>"
    reason = decode_bytes(kml, "route.kml").reason
    assert reason == (
        "not a fitness file: XML without a <gpx>, <TrainingCenterDatabase> or <HealthData> (Apple Health) root "
        "(its root element is <kml>)"
    )


@pytest.mark.timeout(120)
def test_a_decoder_panic_backtrace_goes_to_the_log_not_the_terminal(tmp_path):
    path = tmp_path / "panics.fit"
    path.write_bytes(_panicking_fit())
    log = tmp_path / "logs" / "decoder.log"
    with IsolatedDecoder(workers=1, stderr_log=log) as pool:
        [(_, result)] = list(pool.decode([DecodeJob("1", str(path), "panics.fit")]))
    assert result.status == "quarantined"
    assert "decoder panic: attempt to calculate the remainder with a divisor of zero" in result.reason
    assert "panicked at" in log.read_text()  # the worker's stderr is the log


@pytest.mark.timeout(300)
def test_copies_of_a_quarantined_file_are_quarantined_copies(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "home"))
    settings = Settings()
    drop = tmp_path / "drop"
    drop.mkdir()
    noise = _random_bytes_behind_a_fit_header(0)
    (drop / "a-noise.fit").write_bytes(noise)
    (drop / "b-copy-of-noise.fit").write_bytes(noise)
    (drop / "c-run.fit").write_bytes(samples.activity(n=10))
    (drop / "d-copy-of-run.fit").write_bytes(samples.activity(n=10))

    summary = import_paths([drop], settings, workers=1)
    by_name = {o.original_name.rsplit("/", 1)[-1]: o for o in summary.outcomes}
    assert {name: o.status for name, o in by_name.items()} == {
        "a-noise.fit": "quarantined",
        "b-copy-of-noise.fit": "quarantined",
        "c-run.fit": "imported",
        "d-copy-of-run.fit": "duplicate",
    }
    assert by_name["b-copy-of-noise.fit"].reason.startswith("copy of ")
    assert "no data decoded" in by_name["b-copy-of-noise.fit"].reason
    assert summary.quarantined == 2 and summary.exit_code == 3
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        logged = connection.execute(
            "select status, count(*) from raw_files.file_imports group by status order by status"
        ).fetchall()
    assert logged == [("duplicate", 1), ("imported", 1), ("quarantined", 2)]
