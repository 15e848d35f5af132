"""Fixtures for the dashboard tests: small published snapshots in temporary OPENFIT_HOMEs, and an AppTest
factory that opens one page of the real app (dashboards/streamlit_app.py) over them."""

from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_helpers import APP, use_home
from dashboard_snapshot import build_snapshot

import openfit  # noqa: F401  (telemetry off)


@pytest.fixture(scope="session")
def factory_home(tmp_path_factory) -> Path:
    """A home whose snapshot has every openfit table and every mart (3 athletes x 60 days)."""
    home = tmp_path_factory.mktemp("dash_home")
    build_snapshot(home / "serving" / "snapshot.duckdb")
    return home


@pytest.fixture(scope="session")
def no_marts_home(tmp_path_factory) -> Path:
    """A home whose snapshot has the openfit schema only: the marts have not been built yet."""
    home = tmp_path_factory.mktemp("dash_home_no_marts")
    build_snapshot(home / "serving" / "snapshot.duckdb", with_marts=False)
    return home


@pytest.fixture
def open_page(monkeypatch):
    """open_page(home, "fitness") -> an AppTest that has run the app on that page."""
    from streamlit.testing.v1 import AppTest

    def _open(home: Path, page: str, run: bool = True) -> AppTest:
        use_home(monkeypatch, home)
        at = AppTest.from_file(str(APP), default_timeout=120)
        at.switch_page(f"app_pages/{page}.py")
        if run:
            at.run()
        return at

    return _open
