"""Content-addressed blob store: every original file (and raw payload) is kept once, named by its sha256.

Layout: ``<blob_dir>/<sha[:2]>/<sha>``. Writes go to a temporary file in the same folder and are renamed
into place (``os.replace``), so a reader never sees a half-written blob and a crash leaves no partial blob.
Storing the same content twice is a no-op.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from openfit.settings import Settings, get_settings

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20


class BlobStoreError(ValueError):
    pass


class BlobStore:
    """A folder of immutable blobs keyed by sha256 (lower-case hex)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> BlobStore:
        return cls((settings or get_settings()).blob_dir)

    def path_for(self, sha: str) -> Path:
        if not _SHA256_RE.match(sha):
            raise BlobStoreError(f"not a sha256 hex digest: {sha!r}")
        return self.root / sha[:2] / sha

    def exists(self, sha: str) -> bool:
        return self.path_for(sha).is_file()

    def put_bytes(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if not self.exists(sha):
            self._write_atomically(sha, lambda out: out.write(data))
        return sha

    def put_file(self, path: str | os.PathLike[str]) -> str:
        """Store a file by streaming it (never loads it whole); returns its sha256."""
        with open(path, "rb") as src:
            return self.put_stream(src)

    def put_stream(self, stream: BinaryIO, max_bytes: int | None = None) -> str:
        """Store what `stream` yields, hashing while copying. Raises BlobStoreError past `max_bytes`."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=self.root)
        try:
            written = 0
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    written += len(chunk)
                    if max_bytes is not None and written > max_bytes:
                        raise BlobStoreError(f"content exceeds the {max_bytes} byte limit")
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            final = self.path_for(sha)
            if final.is_file():
                os.unlink(tmp_name)
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp_name, final)
            return sha
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise

    def read_bytes(self, sha: str) -> bytes:
        return self.path_for(sha).read_bytes()

    def _write_atomically(self, sha: str, write) -> None:
        final = self.path_for(sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".incoming-", dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
            os.replace(tmp_name, final)
        except BaseException:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
            raise


def _default_store() -> BlobStore:
    return BlobStore.from_settings()


def put_bytes(data: bytes, store: BlobStore | None = None) -> str:
    return (store or _default_store()).put_bytes(data)


def put_file(path: str | os.PathLike[str], store: BlobStore | None = None) -> str:
    return (store or _default_store()).put_file(path)


def path_for(sha: str, store: BlobStore | None = None) -> Path:
    return (store or _default_store()).path_for(sha)


def exists(sha: str, store: BlobStore | None = None) -> bool:
    return (store or _default_store()).exists(sha)
