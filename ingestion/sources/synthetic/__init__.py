"""The synthetic provider: a deterministic, realistic multi-device cohort as a dlt source (no credentials needed).

- :func:`synthetic_source` - the dlt source (tables and units: README.md and /work/briefs/raw_synthetic_layout.md)
- :data:`PROVIDER` - its registry entry (entry point ``openfit.providers: synthetic``)
- :func:`ground_truth` - which recordings are the same real workout (for tests and benchmarks only)
- :func:`fault_truth` - the labelled sensor faults (HR spikes and dropouts, cadence lock, GPS jumps, power
  spikes, flat lines) injected into a few recordings
- :func:`illness_truth` - the labelled illness episodes (resting HR up, HRV down) injected into the daily physiology
- :func:`event_truth` - every labelled event: illness, overreaching blocks and runs of restricted sleep
"""

from __future__ import annotations

from ingestion.registry import Capability, Provider
from openfit.settings import get_settings

from .source import SyntheticConfigError, synthetic_source
from .truth import event_truth, fault_truth, ground_truth, illness_truth


def _enabled() -> bool:
    """Off with `synthetic_enabled = false`: no assets, and the transform removes its rows from the warehouse."""
    return get_settings().synthetic_enabled


PROVIDER = Provider(
    name="synthetic",
    display_name="Synthetic cohort (demo)",
    capabilities=Capability.ACTIVITIES | Capability.SLEEP | Capability.RECOVERY | Capability.HEALTH_METRICS,
    kind="synthetic",
    dlt_source=synthetic_source,
    is_configured=_enabled,
    description=(
        "A deterministic cohort of athletes with several devices each (watch, bike computer, chest strap, ring, "
        "scale): 1 Hz workout streams, laps, sleep stages, daily wellness and all-day series, with duplicate "
        "recordings, clock skew, split files and travel across time zones. Runs offline with no credentials."
    ),
)

__all__ = [
    "PROVIDER",
    "SyntheticConfigError",
    "event_truth",
    "fault_truth",
    "ground_truth",
    "illness_truth",
    "synthetic_source",
]
