"""Helpers shared by the API tests and the benchmark (a module, so tests can import it; conftest cannot be)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from snapshot_factory import build_snapshot

from api.keys import KeyStore
from openfit.settings import Settings, get_settings


@dataclass
class Keys:
    ath_1: str
    ath_2: str
    admin: str
    revoked: str

    def auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


def make_home(home: Path, *, with_marts: bool = False) -> Path:
    build_snapshot(home / "serving" / "snapshot.duckdb", with_marts=with_marts)
    return home


def make_keys(home: Path) -> Keys:
    store = KeyStore.for_home(home)
    revoked, record = store.create(["ath_1"], name="old")
    store.revoke(record.key_id)
    return Keys(
        ath_1=store.create(["ath_1"], name="one")[0],
        ath_2=store.create(["ath_2"], name="two")[0],
        admin=store.create(None, name="admin")[0],
        revoked=revoked,
    )


def use_home(monkeypatch, home: Path) -> Settings:
    monkeypatch.setenv("OPENFIT_HOME", str(home))
    get_settings.cache_clear()
    return get_settings()
