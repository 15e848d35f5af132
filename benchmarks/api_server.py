"""Helpers the API benchmarks share: a temporary home with a snapshot and keys; the real API server started on
127.0.0.1 is the tests' (tests/api/api_testkit.running_api)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "api"))

from api_testkit import free_port, running_api  # noqa: E402,F401  (the tests' live server, shared)

import openfit  # noqa: E402,F401  (telemetry off)
from openfit.settings import get_settings  # noqa: E402
from query import reads  # noqa: E402
from query.snapshot import SnapshotReader  # noqa: E402


def prepare_home(source_home: Path | None) -> tuple[Path, str]:
    """A temporary home holding a copy of `source_home`'s (else $OPENFIT_HOME's) published snapshot, or a
    generated one (3 athletes x 365 days, marts included) when there is none."""
    home = Path(tempfile.mkdtemp(prefix="openfit_bench_"))
    snapshot = home / "serving" / "snapshot.duckdb"
    real = (source_home or get_settings().home_dir) / "serving" / "snapshot.duckdb"
    if real.exists():
        snapshot.parent.mkdir(parents=True)
        shutil.copy2(real, snapshot)
        origin = f"published snapshot {real}"
    else:
        from snapshot_factory import build_snapshot

        build_snapshot(snapshot, athletes=3, days=365, samples_per_activity=3600, with_marts=True)
        origin = "generated snapshot (3 athletes x 365 days, 1 Hz samples)"
    return home, origin


def pick_targets(snapshot: Path) -> dict:
    """The first athlete, its other athletes, and its newest 50 activity ids."""
    from query.scope import AthleteScope

    reader = SnapshotReader(snapshot)
    try:
        with reader.cursor() as cur:
            athletes = [a.athlete_id for a in reads.list_athletes(cur, AthleteScope.everyone())]
            activities = reads.list_activities(
                cur, AthleteScope.everyone(), athlete_id=athletes[0], limit=50
            ).items
    finally:
        reader.close()
    return {"athlete": athletes[0], "athletes": athletes, "activities": [a.activity_id for a in activities]}
