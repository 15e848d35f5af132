"""Import the mock servers from scripts (benchmarks) without relying on the name `tests`.

A third-party wheel in the environment ships a top-level `tests` package, which shadows this repository's
`tests/` folder (a namespace package) on import; :func:`load_mocks` imports this folder under its own name.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PACKAGE = "openfit_provider_mocks"


def load_mocks() -> ModuleType:
    """Return the mock_servers package (imported as `openfit_provider_mocks`); submodules: strava, oura, withings."""
    """Return the mock_servers package (imported as `openfit_provider_mocks`); submodules: strava, oura, whoop."""
    if PACKAGE not in sys.modules:
        folder = Path(__file__).resolve().parent
        spec = importlib.util.spec_from_file_location(
            PACKAGE, folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = module
        spec.loader.exec_module(module)
    package = sys.modules[PACKAGE]
    importlib.import_module(f"{PACKAGE}.strava")
    importlib.import_module(f"{PACKAGE}.oura")
    importlib.import_module(f"{PACKAGE}.withings")
    importlib.import_module(f"{PACKAGE}.whoop")
    importlib.import_module(f"{PACKAGE}.wahoo")
    importlib.import_module(f"{PACKAGE}.google_health")
    importlib.import_module(f"{PACKAGE}.polar")
    return package
