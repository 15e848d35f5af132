"""Through the import and the files staging models: a TCX MultiSportSession gives one recording per leg,
linked like FIT multisport sessions, and a timed GPX track gets a distance derived from its points."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest
from test_optional_source import _dbt_run

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "files"))
from test_gpx_tcx import TCX_MULTISPORT, _timed_gpx  # noqa: E402  (the XML samples of tests/ingestion/files)

from ingestion.files.importer import import_paths  # noqa: E402
from openfit.settings import Settings  # noqa: E402


@pytest.mark.timeout(600)
def test_tcx_legs_become_linked_recordings_and_gpx_tracks_measure_their_distance(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "home"))
    settings = Settings()
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "triathlon.tcx").write_bytes(TCX_MULTISPORT)
    (drop / "walk.gpx").write_bytes(_timed_gpx([(46.50, 15.5), (46.51, 15.5), (46.52, 15.5)]))
    summary = import_paths([drop], settings, workers=1)
    assert {o.status for o in summary.outcomes} == {"imported"}, [
        (o.original_name, o.reason) for o in summary.outcomes
    ]

    run = _dbt_run(settings.warehouse_path, tmp_path)
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        legs = con.execute(
            "select source_sport, multisport_group_id, distance_m from staging.stg_tcx__activities "
            "order by start_time"
        ).fetchall()
        tracks = con.execute("select distance_m, avg_speed_mps from staging.stg_gpx__tracks").fetchall()
        points = con.execute("select distance_m from staging.stg_gpx__points order by ts").fetchall()
    sha = next(o.sha256 for o in summary.outcomes if o.original_name.endswith("triathlon.tcx"))
    assert legs == [
        ("running", f"files:{sha}", 6.0),
        ("transition", f"files:{sha}", 0.0),
        ("biking", f"files:{sha}", 20.0),
    ]
    [(distance_m, avg_speed_mps)] = tracks
    assert distance_m == pytest.approx(2223.9, abs=1.0)  # two hops of 0.01 degrees of latitude
    assert avg_speed_mps == pytest.approx(distance_m / 120)
    assert [p[0] for p in points] == [0.0, pytest.approx(1111.95, abs=0.5), distance_m]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_published_snapshot_has_the_tcx_legs_and_the_derived_gpx_distance(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from cli import app
    from openfit.settings import get_settings
    from query.snapshot import snapshot_connection

    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "home"))
    for key, value in {  # a tiny synthetic cohort: the build stays small
        "OPENFIT_SYNTHETIC_ATHLETES": "1",
        "OPENFIT_SYNTHETIC_DAYS": "7",
        "OPENFIT_SYNTHETIC_SEED": "3",
        "OPENFIT_SYNTHETIC_END_DATE": "2024-06-05",
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "triathlon.tcx").write_bytes(TCX_MULTISPORT)
    (drop / "walk.gpx").write_bytes(_timed_gpx([(46.50, 15.5), (46.51, 15.5), (46.52, 15.5)]))
    result = CliRunner().invoke(app, ["import", str(drop)])
    assert result.exit_code == 0, result.output

    with snapshot_connection(get_settings()) as con:
        legs = con.execute(
            "select source_sport, multisport_group_id is not null from openfit.activity_recordings "
            "where source = 'files' and source_sport is not null order by start_time"
        ).fetchall()
        [(distance_m,)] = con.execute(
            "select distance_m from openfit.activity_recordings where source = 'files' and source_sport is null"
        ).fetchall()
    assert legs == [("running", True), ("transition", True), ("biking", True)]
    assert distance_m == pytest.approx(2223.9, abs=1.0)
