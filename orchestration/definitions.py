"""The Dagster code location (workspace.yaml points here). Thin by design: policy lives in defs/."""

import openfit  # noqa: F401  (telemetry off before the tools import)
from orchestration.defs import build_definitions

defs = build_definitions()
