# OpenFit: `make demo` builds the synthetic warehouse and serves it; `make test` runs the whole suite.
# Works on a fresh clone with only Python 3.11+, make and git: uv is bootstrapped from PyPI when absent.

SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

# Telemetry off for every tool, in every target.
export RUNTIME__DLTHUB_TELEMETRY := false
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := true
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false
export OTEL_SDK_DISABLED := true

.PHONY: install demo build serve test test-fast lint sqlfix bench spec clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv

# --compile-bytecode: the .pyc files are written once here. Without them every process compiles what it imports
# (~15 s for dagster, dbt and great_expectations together) whenever bytecode is not written back, as on machines
# that set PYTHONDONTWRITEBYTECODE; the suite starts dozens of such processes.
install: $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --compile-bytecode

# A first snapshot of a few weeks is served in under a minute; the full history follows in the background.
demo: install
	$(UV) run openfit demo

build: install
	$(UV) run openfit build

serve: install
	$(UV) run openfit serve

# Two workers (this machine has 2 cores), whole files per worker so module fixtures are built once; the
# session's fixture warehouse is built once for both (tests/conftest.py). The 20 slowest tests are listed.
TEST_WORKERS ?= 2

test: lint
	bash scripts/install_browser.sh   # Debian's chromium for the dashboards' browser tests
	$(UV) run pytest -n $(TEST_WORKERS) --dist loadfile --durations=20

test-fast: install
	$(UV) run pytest -m "not slow" -x -q

# mypy runs from its own locked environment (tools/typecheck: it cannot share pathspec with dbt-core) and
# checks analytics/, query/ and api/ against the packages in .venv ([tool.mypy] in pyproject.toml).

# The dbt project's SQL (sqlfluff, configured in pyproject.toml [tool.sqlfluff]). `make sqlfix` applies the fixes it
# can make, e.g. to new models only: make sqlfix SQL_PATHS=transform/models/staging/strava (review the diff: see the
# config's note on the rules left out).
SQL_PATHS ?= transform/models transform/macros transform/tests

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run lint-imports
	$(UV) run --frozen --project tools/typecheck mypy
	$(UV) run sqlfluff lint $(SQL_PATHS)

sqlfix: install
	$(UV) run sqlfluff fix $(SQL_PATHS)

spec: install
	$(UV) run python -m openfit.schema_spec

bench: install
	$(UV) run python benchmarks/build.py --athletes 20 --days 730

clean:
	rm -rf data transform/target transform/logs .pytest_cache
