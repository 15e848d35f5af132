"""What the incremental tests share: homes of a small synthetic cohort, builds that must succeed, and what the
warehouse says its last transform was."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from openfit.settings import Settings, get_settings
from orchestration.build import run_build
from orchestration.incremental import STATE_SCHEMA

END = date(2026, 3, 31)


def home_settings(monkeypatch, home: Path, **env: str) -> Settings:
    monkeypatch.setenv("OPENFIT_HOME", str(home))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    return get_settings()


def synthetic_home(monkeypatch, home: Path, days: int, end: date) -> Settings:
    return home_settings(
        monkeypatch,
        home,
        OPENFIT_SYNTHETIC_ATHLETES="1",
        OPENFIT_SYNTHETIC_DAYS=str(days),
        OPENFIT_SYNTHETIC_SEED="7",
        OPENFIT_SYNTHETIC_END_DATE=end.isoformat(),
    )


def build(settings: Settings, **kwargs) -> None:
    report = run_build(settings, **kwargs)
    assert report.success, report.failure


def last_build(settings: Settings) -> tuple[str, int, int]:
    """(kind, changed activities, changed metric windows) of the warehouse's last transform."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        seq, kind = con.execute(
            f"select seq, kind from {STATE_SCHEMA}.builds order by seq desc limit 1"
        ).fetchone()
        activities = con.execute(
            f"select count(*) from {STATE_SCHEMA}.changed_activities where seq = ?", [seq]
        )
        activities = activities.fetchone()[0]
        windows = con.execute(
            f"select count(*) from {STATE_SCHEMA}.changed_metric_windows where seq = ?", [seq]
        )
        return kind, activities, windows.fetchone()[0]


def publish_kind(settings: Settings) -> str:
    with duckdb.connect(str(settings.snapshot_path), read_only=True) as con:
        return con.execute("select publish_kind from meta.build_info").fetchone()[0]
