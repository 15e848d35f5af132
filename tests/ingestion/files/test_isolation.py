"""Decoding in isolated worker processes: results come back whole, and a file that hangs or eats memory costs
only itself (quarantined with the limit named), never the batch."""

from __future__ import annotations

import os
import sys
import types

import fit_samples as samples
import pytest

from ingestion.files.workers import DecodeJob, IsolatedDecoder, decode_files


def test_pool_returns_the_same_tables_as_in_process(tmp_path):
    paths = []
    for i, data in enumerate([samples.activity(n=50), samples.multisport(n_each=20), b"not a workout"]):
        path = tmp_path / f"f{i}.fit"
        path.write_bytes(data)
        paths.append(path)
    results = decode_files(paths, workers=2)
    assert [key for key, _ in results] == [str(p) for p in paths]
    assert [r.status for _, r in results] == ["imported", "imported", "quarantined"]
    assert results[0][1].record_count == 50
    assert results[1][1].tables["session"].num_rows == 2
    assert "not FIT" in results[2][1].reason


@pytest.mark.timeout(120)
def test_a_hanging_file_is_cut_off_and_the_batch_goes_on(tmp_path):
    fifo = tmp_path / "hangs.fit"
    os.mkfifo(fifo)  # opening it for reading blocks forever: a decoder that never returns
    good = tmp_path / "good.fit"
    good.write_bytes(samples.activity(n=10))
    with IsolatedDecoder(workers=1, timeout_s=3) as pool:
        results = {
            job.name: result
            for job, result in pool.decode(
                [DecodeJob("1", str(fifo), "hangs.fit"), DecodeJob("2", str(good), "good.fit")]
            )
        }
    assert results["hangs.fit"].status == "quarantined"
    assert "exceeded the 3 s time limit" in results["hangs.fit"].reason
    assert results["good.fit"].status == "imported" and results["good.fit"].record_count == 10


@pytest.mark.timeout(120)
def test_a_file_beyond_the_memory_limit_is_quarantined(tmp_path):
    point = b'<trkpt lat="46.5" lon="15.5"><ele>200</ele><time>2024-05-01T06:00:00Z</time></trkpt>'
    big = tmp_path / "huge.gpx"
    big.write_bytes(
        b'<gpx version="1.1"><trk><trkseg>' + point * 400_000 + b"</trkseg></trk></gpx>"
    )  # ~34 MB
    small = tmp_path / "small.gpx"
    small.write_bytes(b'<gpx version="1.1"><trk><trkseg>' + point * 3 + b"</trkseg></trk></gpx>")
    with IsolatedDecoder(workers=1, memory_limit_mb=96) as pool:
        results = {
            job.name: result
            for job, result in pool.decode(
                [DecodeJob("1", str(big), "huge.gpx"), DecodeJob("2", str(small), "small.gpx")]
            )
        }
    assert results["huge.gpx"].status == "quarantined"
    assert "96 MB memory limit" in results["huge.gpx"].reason
    assert results["small.gpx"].status == "imported" and results["small.gpx"].record_count == 3


def test_workers_start_whatever_the_parent_main_module_is(tmp_path, monkeypatch):
    # Regression: after the dashboard tests, `__main__` was a Streamlit script that fails outside Streamlit;
    # forkserver children re-ran it and every worker died before decoding anything.
    hostile = tmp_path / "hostile_main.py"
    hostile.write_text("raise SystemExit('the parent main module must not run in a decoder worker')\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(hostile)
    fake_main.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    good = tmp_path / "good.fit"
    good.write_bytes(samples.activity(n=10))
    [(_, result)] = decode_files([good], workers=1)
    assert result.status == "imported", result.reason
    assert sys.modules["__main__"] is fake_main
