"""The synthetic cohort a benchmark builds: its command-line arguments and the environment that selects it.

Imported by the benchmark scripts (they run with this folder on sys.path).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_cohort_arguments(parser: argparse.ArgumentParser, athletes: int, days: int) -> None:
    parser.add_argument("--athletes", type=int, default=athletes)
    parser.add_argument("--days", type=int, default=days)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", default="2026-06-30")
    parser.add_argument("--keep", action="store_true", help="keep the temp home afterwards")


def cohort_env(
    home: Path, athletes: int, days: int, seed: int = 42, end_date: str | None = "2026-06-30"
) -> dict:
    """OPENFIT_* variables for a home holding this cohort (end_date None: ending today)."""
    env = {
        "OPENFIT_HOME": str(home),
        "OPENFIT_SYNTHETIC_ATHLETES": str(athletes),
        "OPENFIT_SYNTHETIC_DAYS": str(days),
        "OPENFIT_SYNTHETIC_SEED": str(seed),
    }
    if end_date is not None:
        env["OPENFIT_SYNTHETIC_END_DATE"] = end_date
    return env
