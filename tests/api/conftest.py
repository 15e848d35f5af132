"""API fixtures: a home with a small published snapshot (plain DuckDB DDL, see snapshot_factory), keys,
and a TestClient. The data-dependent shape checks also run against the real fixture warehouse in
test_real_warehouse.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from openfit.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from api_testkit import Keys, make_home, make_keys, use_home  # noqa: E402


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
