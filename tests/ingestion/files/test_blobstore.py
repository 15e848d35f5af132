"""The content-addressed blob store: stored once, atomic, streamed, addressed by sha256."""

from __future__ import annotations

import hashlib
import os

import pytest

from ingestion import blobstore
from ingestion.blobstore import BlobStore, BlobStoreError


def test_put_bytes_is_content_addressed_and_stored_once(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    data = b"a FIT file, say"
    sha = store.put_bytes(data)
    assert sha == hashlib.sha256(data).hexdigest()
    path = store.path_for(sha)
    assert path == tmp_path / "blobs" / sha[:2] / sha
    assert path.read_bytes() == data and store.exists(sha)
    mtime = path.stat().st_mtime_ns
    assert store.put_bytes(data) == sha
    assert path.stat().st_mtime_ns == mtime  # not rewritten
    assert [p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == [sha]


def test_put_file_streams_and_matches_put_bytes(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    source = tmp_path / "big.bin"
    data = os.urandom(3 * 1024 * 1024 + 17)  # several read chunks
    source.write_bytes(data)
    sha = store.put_file(source)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.read_bytes(sha) == data
    assert not list((tmp_path / "blobs").glob(".incoming-*"))


def test_stream_over_the_limit_leaves_nothing_behind(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * 5_000_000)
    with open(source, "rb") as handle, pytest.raises(BlobStoreError, match="exceeds the 1000000 byte limit"):
        store.put_stream(handle, max_bytes=1_000_000)
    assert not [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]


def test_bad_digest_is_refused(tmp_path):
    store = BlobStore(tmp_path)
    for bad in ("../../etc/passwd", "ABC", "g" * 64):
        with pytest.raises(BlobStoreError):
            store.path_for(bad)
    assert not store.exists("0" * 64)


def test_module_functions_use_settings_blob_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "home"))
    sha = blobstore.put_bytes(b"payload")
    assert blobstore.exists(sha)
    assert blobstore.path_for(sha) == (tmp_path / "home" / "blobs" / sha[:2] / sha).resolve()
    source = tmp_path / "f.gpx"
    source.write_bytes(b"payload")
    assert blobstore.put_file(source) == sha
