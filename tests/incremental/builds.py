"""What the incremental tests share: homes of a small synthetic cohort, builds that must succeed, and what the
warehouse says its last transform was."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb

from incremental.checksums import differences, table_checksums
from ingestion.files.importer import import_paths
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


def dbt_nodes_of_last_build(settings: Settings) -> tuple[str, int]:
    """(reason, dbt nodes run) of the warehouse's last transform."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        seq, reason = con.execute(
            f"select seq, reason from {STATE_SCHEMA}.builds order by seq desc limit 1"
        ).fetchone()
        nodes = con.execute(f"select count(*) from {STATE_SCHEMA}.build_nodes where seq = ?", [seq])
        return reason, nodes.fetchone()[0]


def publish_kind(settings: Settings) -> str:
    with duckdb.connect(str(settings.snapshot_path), read_only=True) as con:
        return con.execute("select publish_kind from meta.build_info").fetchone()[0]


def write_file(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def copy_home(base: Path, home: Path) -> Path:
    """A copy of a built home (warehouse, dlt state, snapshot) at `home`."""
    shutil.copytree(base, home, ignore=shutil.ignore_patterns("*.lock"))
    return home


def copy_of_home(monkeypatch, base: Path, home: Path) -> Settings:
    """A copy of a built home (base), as the current home; the cohort settings stay those already set."""
    return home_settings(monkeypatch, copy_home(base, home))


def second_file_incrementally_and_in_full(
    tmp_path, monkeypatch, base: Settings, first: Path, second: Path
) -> tuple[Settings, dict]:
    """On a copy of a built home (`base`, the session's: its synthetic cohort for the files to join), `first`
    imported and transformed, then `second` (each an incremental build), checked equal to another copy that
    loads the same files in the same order (the first-loaded file anchors the activity id) and rebuilds in full
    (`openfit build --full`). Returns the incremental home's settings and its checksums."""
    from orchestration.defs import TRANSFORM_JOB

    settings = copy_of_home(monkeypatch, base.home_dir, tmp_path / "incremental")
    assert import_paths([first], settings).imported == 1
    build(settings, job_name=TRANSFORM_JOB)
    assert last_build(settings)[:2] == ("incremental", 1)
    assert import_paths([second], settings).imported == 1
    build(settings, job_name=TRANSFORM_JOB)
    kind, activities, _ = last_build(settings)
    assert kind == "incremental" and activities >= 1
    incremental = table_checksums(settings.snapshot_path)

    full_settings = copy_of_home(monkeypatch, base.home_dir, tmp_path / "full")
    assert import_paths([first], full_settings).imported == 1
    assert import_paths([second], full_settings).imported == 1
    build(full_settings, full=True)
    assert last_build(full_settings)[0] == "full"
    differing = differences(incremental, table_checksums(full_settings.snapshot_path))
    assert differing == {}, differing  # (a helper module: pytest does not show the dict by itself)
    return home_settings(monkeypatch, tmp_path / "incremental"), incremental
