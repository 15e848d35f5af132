"""API fixtures: a home with a small published snapshot (plain DuckDB DDL, see snapshot_factory), keys,
and a TestClient. The data-dependent shape checks also run against the real fixture warehouse in
test_real_warehouse.py."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore
from openfit.settings import Settings, get_settings

sys.path.insert(0, str(Path(__file__).parent))
from snapshot_factory import build_snapshot  # noqa: E402


@dataclass
class Keys:
    ath_1: str
    ath_2: str
    admin: str
    revoked: str

    def auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


def make_home(home: Path, *, with_marts: bool = False) -> Path:
    build_snapshot(home / "serving" / "openfit.duckdb", with_marts=with_marts)
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


@pytest.fixture(scope="session")
def _shared_home(tmp_path_factory) -> tuple[Path, Keys]:
    home = make_home(tmp_path_factory.mktemp("api_home"))
    return home, make_keys(home)


@pytest.fixture
def settings(_shared_home, monkeypatch) -> Settings:
    """Settings on the shared home (snapshot without marts). Read only."""
    return use_home(monkeypatch, _shared_home[0])


@pytest.fixture
def keys(_shared_home) -> Keys:
    return _shared_home[1]


@pytest.fixture
def client(settings) -> TestClient:
    with TestClient(create_app(settings, rate_limit_per_minute=None)) as test_client:
        yield test_client


@pytest.fixture
def marts_home(tmp_path, monkeypatch) -> tuple[Settings, Keys]:
    """A private home whose snapshot includes the marts."""
    home = make_home(tmp_path / "home", with_marts=True)
    return use_home(monkeypatch, home), make_keys(home)
