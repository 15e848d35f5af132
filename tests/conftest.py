"""Shared fixtures: one real fixture warehouse per session, built by the real path (dlt -> dbt -> publish
through Dagster), and a guard that keeps each test's settings from leaking into the next."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import openfit  # noqa: F401  (telemetry off before any tool is imported)
from openfit.settings import Settings, get_settings, set_command_line

REPO = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"

# Parallel workers (pytest-xdist) each get their own dbt target and log folders: two dbt runs must never write
# one manifest.json or partial-parse file. Kept under transform/target so a rerun parses partially.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if WORKER:
    os.environ["DBT_TARGET_PATH"] = str(REPO / "transform" / "target" / f"worker-{WORKER}")
    os.environ["DBT_LOG_PATH"] = str(REPO / "transform" / "logs" / f"worker-{WORKER}")

# The session cohort: small enough to build in well under a minute, large enough for every table and for
# the PMC to be meaningful. A fixed end date keeps it reproducible.
FIXTURE_COHORT = {
    "OPENFIT_SYNTHETIC_ATHLETES": "3",
    "OPENFIT_SYNTHETIC_DAYS": "60",
    "OPENFIT_SYNTHETIC_SEED": "7",
    "OPENFIT_SYNTHETIC_END_DATE": "2026-06-30",
    # The owner of imported files, the athlete the provider tests connect too: their first build on a copy of
    # this home is then an increment (a new owner re-attributes every file, which only a full build does).
    "OPENFIT_FILES_ATHLETE_ID": "me",
}


@pytest.fixture(autouse=True)
def _fresh_settings():
    """Settings are cached per process; tests that change OPENFIT_* variables (or flags) must not leak them."""
    set_command_line()  # also clears the cache
    yield
    set_command_line()


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    if not SHARED_FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is not present")
    return SHARED_FIXTURES


def _use_home(home: Path, extra: dict[str, str] | None = None) -> Settings:
    os.environ["OPENFIT_HOME"] = str(home)
    os.environ.update({**FIXTURE_COHORT, **(extra or {})})
    get_settings.cache_clear()
    return get_settings()


def _build_fixture_home(home: Path) -> None:
    from orchestration.build import run_build

    saved = {k: os.environ.get(k) for k in ["OPENFIT_HOME", *FIXTURE_COHORT]}
    settings = _use_home(home)
    report = run_build(settings)
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()
    assert report.success, report.failure


@pytest.fixture(scope="session")
def fixture_home(tmp_path_factory) -> Path:
    """The session's warehouse, built once (once for all parallel workers: the first builds it under a file
    lock, the others wait and share it); returns its OPENFIT_HOME. Tests must not write to it."""
    if not WORKER:
        home = tmp_path_factory.mktemp("openfit_home")
        _build_fixture_home(home)
        return home
    from filelock import FileLock

    shared_root = tmp_path_factory.getbasetemp().parent  # the run's folder, common to all workers
    home, built = shared_root / "openfit_home", shared_root / "openfit_home.built"
    with FileLock(str(shared_root / "openfit_home.lock")):
        if not built.exists():
            shutil.rmtree(home, ignore_errors=True)  # a worker that failed to build leaves no half-built home
            home.mkdir()
            _build_fixture_home(home)
            built.touch()
    return home


@pytest.fixture
def fixture_warehouse(fixture_home, monkeypatch) -> Settings:
    """Settings pointing at the session's built warehouse (snapshot published). Read only, please."""
    monkeypatch.setenv("OPENFIT_HOME", str(fixture_home))
    for key, value in FIXTURE_COHORT.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def warehouse_copy(fixture_home, tmp_path, monkeypatch) -> Settings:
    """A private copy of the session's home (warehouse, dlt state, snapshot) that a test may change."""
    home = tmp_path / "home"
    shutil.copytree(fixture_home, home, ignore=shutil.ignore_patterns("*.lock"))
    monkeypatch.setenv("OPENFIT_HOME", str(home))
    for key, value in FIXTURE_COHORT.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    return get_settings()
