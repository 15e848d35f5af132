"""Walking inputs: folders, .gz, Garmin and Strava export zips, and refusals (bombs, traversal, symlinks)."""

from __future__ import annotations

import gzip
import io
import os
import stat
import zipfile

import fit_samples as samples
import pytest

from ingestion.blobstore import BlobStore
from ingestion.files.archives import ArchiveLimits, InputWalker

GPX = b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="2"/></trkseg></trk></gpx>'


@pytest.fixture
def store(tmp_path):
    return BlobStore(tmp_path / "blobs")


def _zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_folder_walk_is_recursive_and_skips_non_fitness_names(tmp_path, store):
    (tmp_path / "in" / "2024" / "05").mkdir(parents=True)
    fit = samples.activity(n=10)
    (tmp_path / "in" / "2024" / "05" / "run.FIT").write_bytes(fit)
    (tmp_path / "in" / "ride.gpx.gz").write_bytes(gzip.compress(GPX))
    (tmp_path / "in" / "notes.txt").write_text("not a workout")
    walker = InputWalker(store)
    found = list(walker.walk([tmp_path / "in"]))
    assert sorted(c.original_name.rsplit("/", 1)[-1] for c in found) == ["ride.gpx", "run.FIT"]
    by_name = {c.original_name.rsplit("/", 1)[-1]: c for c in found}
    assert store.read_bytes(by_name["run.FIT"].sha256) == fit
    assert store.read_bytes(by_name["ride.gpx"].sha256) == GPX  # stored expanded
    assert walker.stats.skipped == 1


def test_explicit_file_is_always_considered(tmp_path, store):
    path = tmp_path / "notes.txt"
    path.write_text("not a workout")
    (candidate,) = InputWalker(store).walk([path])
    assert candidate.sha256 and candidate.refused is None  # the decoder will quarantine it with a reason


def test_garmin_export_layout_with_nested_zips(tmp_path, store):
    fit_a, fit_b = samples.activity(n=10), samples.multisport(n_each=5)
    uploaded = _zip_bytes({"a_ACTIVITY.fit": fit_a, "b.fit": fit_b, "photo.jpg": b"\xff\xd8\xff"})
    export = _zip_bytes(
        {
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": uploaded,
            "DI_CONNECT/DI-Connect-Fitness/summarizedActivities.json": b"[]",
        }
    )
    path = tmp_path / "garmin_export.zip"
    path.write_bytes(export)
    walker = InputWalker(store)
    found = list(walker.walk([path]))
    assert sorted(c.original_name for c in found) == ["a_ACTIVITY.fit", "b.fit"]
    assert {c.source_archive for c in found} == {
        f"{path}!DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip"
    }
    assert {store.read_bytes(c.sha256) for c in found} == {fit_a, fit_b}
    assert walker.stats.skipped == 2  # the JSON summary and the photo


STRAVA_CSV = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Distance,"
    "Commute,Activity Gear,Filename,Elapsed Time,Distance\n"
    '111,"May 1, 2024, 6:00:00 AM",Morning Run,Run,,600,2.0,false,Pegasus 40,activities/111.fit.gz,600,2000\n'
    '222,"May 2, 2024, 7:00:00 AM","Commute, rainy",Ride,wet,900,5.0,true,Commuter bike,activities/222.gpx,900,5000\n'
)


def test_strava_export_joins_csv_metadata_to_files(tmp_path, store):
    fit = samples.activity(n=10)
    export = _zip_bytes(
        {
            "activities.csv": STRAVA_CSV.encode(),
            "activities/111.fit.gz": gzip.compress(fit),
            "activities/222.gpx": GPX,
            "profile.csv": b"x",
        }
    )
    path = tmp_path / "export_12345.zip"
    path.write_bytes(export)
    found = {c.original_name: c for c in InputWalker(store).walk([path])}
    assert set(found) == {"activities/111.fit", "activities/222.gpx"}
    run, ride = found["activities/111.fit"], found["activities/222.gpx"]
    assert store.read_bytes(run.sha256) == fit
    assert run.metadata["strava_activity_id"] == "111"
    assert run.metadata["strava_name"] == "Morning Run"
    assert run.metadata["strava_gear"] == "Pegasus 40"
    assert run.metadata["strava_commute"] is False
    assert ride.metadata["strava_name"] == "Commute, rainy"
    assert ride.metadata["strava_commute"] is True and ride.metadata["strava_type"] == "Ride"
    assert ride.metadata["strava_description"] == "wet"


def test_strava_export_extracted_to_a_folder(tmp_path, store):
    root = tmp_path / "export"
    (root / "activities").mkdir(parents=True)
    (root / "activities.csv").write_text(STRAVA_CSV)
    (root / "activities" / "222.gpx").write_bytes(GPX)
    (candidate,) = InputWalker(store).walk([root])
    assert candidate.metadata["strava_gear"] == "Commuter bike"


def test_zip_bomb_member_is_refused_while_streaming(tmp_path, store):
    bomb = _zip_bytes({"huge.fit": b"\x00" * (64 * 1024 * 1024)})
    assert len(bomb) < 200_000
    path = tmp_path / "bomb.zip"
    path.write_bytes(bomb)
    (candidate,) = InputWalker(store).walk([path])
    assert candidate.sha256 is None
    assert "bomb protection" in candidate.refused
    assert not [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]


def test_gzip_bomb_is_refused(tmp_path, store):
    path = tmp_path / "huge.fit.gz"
    path.write_bytes(gzip.compress(b"\x00" * (32 * 1024 * 1024)))
    (candidate,) = InputWalker(store).walk([path])
    assert "bomb protection" in candidate.refused


def test_total_expanded_size_is_capped(tmp_path, store):
    members = {f"f{i}.gpx": GPX * 2000 for i in range(5)}  # ~200 KB each, ratio fine
    path = tmp_path / "many.zip"
    path.write_bytes(_zip_bytes(members))
    limits = ArchiveLimits(max_total_bytes=500_000)
    found = list(InputWalker(store, limits).walk([path]))
    assert [c.refused is None for c in found][:2] == [True, True]
    assert any(c.refused and "total limit" in c.refused for c in found)


def test_path_traversal_and_absolute_members_are_refused(tmp_path, store):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil.fit", b"x")
        archive.writestr("/etc/evil.gpx", b"x")
        archive.writestr("ok/run.gpx", GPX)
    path = tmp_path / "traversal.zip"
    path.write_bytes(buffer.getvalue())
    found = {c.original_name: c for c in InputWalker(store).walk([path])}
    assert "path traversal" in found["../../evil.fit"].refused
    assert "path traversal" in found["/etc/evil.gpx"].refused
    assert found["ok/run.gpx"].sha256
    assert not (tmp_path.parent / "evil.fit").exists()


def test_symlink_members_and_folder_symlinks_are_refused(tmp_path, store):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link.fit")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    path = tmp_path / "links.zip"
    path.write_bytes(buffer.getvalue())
    (candidate,) = InputWalker(store).walk([path])
    assert "symlink" in candidate.refused

    folder = tmp_path / "folder"
    folder.mkdir()
    os.symlink("/etc/passwd", folder / "passwd.fit")
    (candidate,) = InputWalker(store).walk([folder])
    assert "symlink" in candidate.refused


def test_nesting_depth_is_bounded(tmp_path, store):
    data = _zip_bytes({"deep.gpx": GPX})
    for level in range(4):
        data = _zip_bytes({f"level{level}.zip": data})
    path = tmp_path / "nested.zip"
    path.write_bytes(data)
    (candidate,) = InputWalker(store, ArchiveLimits(max_depth=3)).walk([path])
    assert "nested deeper than 3" in candidate.refused


def test_corrupt_zip_is_refused(tmp_path, store):
    path = tmp_path / "broken.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    (candidate,) = InputWalker(store).walk([path])
    assert "corrupt zip" in candidate.refused
