"""API keys: created once by `openfit apikey create`, stored as SHA-256 hashes in $OPENFIT_HOME/api_keys.json.

A key reads `of_<key_id>_<secret>`; only the key id (not secret) and the hash of the whole key are stored.
The secret has 256 bits of entropy, so a fast hash is enough (nothing to brute-force). The file lives under
OPENFIT_HOME, not in the warehouse: readers never write the warehouse.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock

from query.scope import AthleteScope

KEY_PREFIX = "of_"


class ApiKeyError(ValueError):
    """A key operation was refused (unknown id, bad arguments)."""


@dataclass
class StoredKey:
    key_id: str
    key_hash: str
    athlete_ids: list[str] | None
    name: str = ""
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat().replace("+00:00", "Z"))
    revoked_at: str | None = None

    @property
    def scope(self) -> AthleteScope:
        return AthleteScope(None if self.athlete_ids is None else tuple(sorted(self.athlete_ids)))

    def public(self) -> dict:
        """What `apikey list` shows: never the hash."""
        return {
            "key_id": self.key_id,
            "name": self.name,
            "athletes": "all" if self.athlete_ids is None else self.athlete_ids,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class KeyStore:
    """The JSON key file, guarded by a file lock for writers; readers re-read it when its mtime changes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = FileLock(str(self.path) + ".lock")
        self._cache: tuple[int, dict[str, StoredKey]] | None = None
        self._cache_lock = threading.Lock()

    @classmethod
    def for_home(cls, home_dir: Path) -> KeyStore:
        return cls(Path(home_dir) / "api_keys.json")

    def _read(self) -> dict[str, StoredKey]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return {k["key_id"]: StoredKey(**k) for k in data.get("keys", [])}

    def _write(self, keys: dict[str, StoredKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"keys": [asdict(k) for k in keys.values()]}, indent=2), encoding="utf-8")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def create(self, athlete_ids: list[str] | None, name: str = "") -> tuple[str, StoredKey]:
        """Returns (the plaintext key, shown once; the stored record). `athlete_ids=None` = all athletes."""
        if athlete_ids is not None and not athlete_ids:
            raise ApiKeyError("a key needs at least one athlete, or all athletes")
        key_id = secrets.token_hex(4)
        plaintext = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        record = StoredKey(
            key_id=key_id,
            key_hash=_hash(plaintext),
            athlete_ids=None if athlete_ids is None else sorted({str(a) for a in athlete_ids}),
            name=name,
        )
        with self._lock:
            keys = self._read()
            keys[key_id] = record
            self._write(keys)
        return plaintext, record

    def list(self) -> list[StoredKey]:
        return list(self._read().values())

    def revoke(self, key_id: str) -> StoredKey:
        with self._lock:
            keys = self._read()
            if key_id not in keys:
                raise ApiKeyError(f"no API key with id {key_id!r}")
            record = keys[key_id]
            if record.revoked_at is None:
                record.revoked_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
                self._write(keys)
        return record

    def _current(self) -> dict[str, StoredKey]:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        with self._cache_lock:
            if self._cache is None or self._cache[0] != mtime:
                self._cache = (mtime, self._read())
            return self._cache[1]

    def verify(self, presented: str) -> StoredKey | None:
        """The active key matching `presented`, or None. Constant-time hash comparison."""
        if not presented.startswith(KEY_PREFIX):
            return None
        key_id = presented[len(KEY_PREFIX) :].split("_", 1)[0]
        record = self._current().get(key_id)
        if record is None or record.revoked_at is not None:
            return None
        return record if hmac.compare_digest(record.key_hash, _hash(presented)) else None
