"""Fixtures for provider tests: an isolated OPENFIT_HOME, running mock servers, env pointing at them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .mock_servers.google_health import GoogleHealthMock, GoogleHealthMockConfig
from .mock_servers.oura import OuraMock, OuraMockConfig
from .mock_servers.polar import PolarMock, PolarMockConfig
from .mock_servers.strava import StravaMock, StravaMockConfig
from .mock_servers.wahoo import WahooMock, WahooMockConfig
from .mock_servers.whoop import WhoopMock, WhoopMockConfig
from .mock_servers.withings import WithingsMock, WithingsMockConfig

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "api"


@pytest.fixture
def openfit_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from openfit.settings import get_settings

    home = tmp_path / "home"
    monkeypatch.setenv("OPENFIT_HOME", str(home))
    monkeypatch.delenv("OPENFIT_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def strava_mock(monkeypatch: pytest.MonkeyPatch, openfit_home: Path) -> Iterator[StravaMock]:
    # generous limits: functional tests must not wait for Strava's real 15-minute windows
    config = StravaMockConfig(activities=25, limits={"overall": (20_000, 200_000), "read": (10_000, 100_000)})
    with StravaMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        yield mock


@pytest.fixture
def oura_mock(monkeypatch: pytest.MonkeyPatch, openfit_home: Path) -> Iterator[OuraMock]:
    with OuraMock(OuraMockConfig(days=30, page_size=7)) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        yield mock


@pytest.fixture
def withings_mock(monkeypatch: pytest.MonkeyPatch, openfit_home: Path) -> Iterator[WithingsMock]:
    # Withings' own ceiling (120 / min) in fixed one-minute windows
    config = WithingsMockConfig(days=30, page_size=7, window_lengths_s=(60.0, 86400.0),
                                limits={"overall": (120, 10**9)})  # fmt: skip
    with WithingsMock(config) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        yield mock


@pytest.fixture
def whoop_mock(monkeypatch: pytest.MonkeyPatch, openfit_home: Path) -> Iterator[WhoopMock]:
    # generous limits: functional tests must not wait for WHOOP's one-minute windows
    with WhoopMock(WhoopMockConfig(days=30, limits={"overall": (10_000, 100_000)})) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        yield mock


@pytest.fixture
def polar_mock(monkeypatch: pytest.MonkeyPatch, openfit_home: Path) -> Iterator[PolarMock]:
    # generous limits: functional tests must not wait for Polar's 15-minute windows
    with PolarMock(PolarMockConfig(limits={"overall": (10_000, 100_000)})) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        yield mock


@pytest.fixture
def wahoo_mock(monkeypatch: pytest.MonkeyPatch, openfit_home: Path) -> Iterator[WahooMock]:
    # generous limits: functional tests must not wait for Wahoo's five-minute windows
    with WahooMock(WahooMockConfig(days=30, limits={"overall": (10_000, 100_000)})) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        yield mock


@pytest.fixture
def google_health_mock(monkeypatch: pytest.MonkeyPatch, openfit_home: Path) -> Iterator[GoogleHealthMock]:
    # generous limits: functional tests must not wait for the one-minute windows
    with GoogleHealthMock(GoogleHealthMockConfig(days=30, limits={"overall": (10_000, 100_000)})) as mock:
        for key, value in mock.env().items():
            monkeypatch.setenv(key, value)
        yield mock


def browser_that_approves(opened: list[str]):
    """A stand-in for the user's browser: follows the authorize redirect to our loopback callback."""

    def show_url(url: str) -> None:
        opened.append(url)

        def visit() -> None:
            httpx.get(url, follow_redirects=True, timeout=10)

        threading.Thread(target=visit, daemon=True).start()

    return show_url
