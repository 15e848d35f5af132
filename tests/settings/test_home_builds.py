"""Real builds in one home: a cohort given as flags survives later runs, a seed change replaces the synthetic rows
(never two seeds under one athlete id), and disabling the synthetic source removes it from the snapshot."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cli import app
from ingestion.sources.synthetic import synthetic_source
from openfit.settings import get_settings, settings_hash
from orchestration.build import run_build

pytestmark = pytest.mark.slow

runner = CliRunner()
END = date(2026, 6, 30)
COHORT_FLAGS = ["--athletes", "1", "--days", "14", "--seed", "5", "--end-date", END.isoformat()]


def _clean_env(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Only OPENFIT_HOME: every other setting must come from the home file (or the defaults)."""
    for name in list(os.environ):
        if name.startswith("OPENFIT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPENFIT_HOME", str(home))
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def built_home(tmp_path_factory) -> Path:
    """A home built once by `openfit build` with the cohort as flags (1 athlete, 14 days, seed 5)."""
    home = tmp_path_factory.mktemp("settings_home") / "home"
    with pytest.MonkeyPatch.context() as monkeypatch:
        _clean_env(monkeypatch, home)
        result = runner.invoke(app, ["build", *COHORT_FLAGS])
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return home


@pytest.fixture
def home(built_home, tmp_path, monkeypatch) -> Path:
    """A private copy of the built home, the environment holding nothing but OPENFIT_HOME."""
    home = tmp_path / "home"
    shutil.copytree(built_home, home, ignore=shutil.ignore_patterns("*.lock"))
    _clean_env(monkeypatch, home)
    return home


def _raw_activities(home: Path) -> set[tuple[str, str, int]]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return set(
            con.execute(
                "select athlete_id, activity_id, start_time_gmt from raw_synthetic.activities"
            ).fetchall()
        )


def _raw_counts(home: Path) -> dict[str, int]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw_synthetic' "
                "and not starts_with(table_name, '_dlt')"
            ).fetchall()
        ]
        return {t: con.execute(f'select count(*) from raw_synthetic."{t}"').fetchone()[0] for t in tables}


def _expected_activities(seed: int) -> set[tuple[str, str, int]]:
    """The cohort's activities straight from the generator (no pipeline, no state)."""
    source = synthetic_source(athletes=1, days=14, seed=seed, end_date=END, incremental=False)
    return {(r["athlete_id"], r["activity_id"], r["start_time_gmt"]) for r in source.resources["activities"]}


def _published(home: Path, sql: str):
    with duckdb.connect(str(home / "serving" / "snapshot.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_a_later_run_in_the_home_keeps_the_cohort_given_as_flags(home):
    assert _raw_activities(home) == _expected_activities(5)
    counts = _raw_counts(home)
    published = _published(home, "select count(*) from openfit.activities")

    settings = get_settings()  # nothing in the environment: the home file holds the cohort
    assert (settings.synthetic_athletes, settings.synthetic_days, settings.synthetic_seed) == (1, 14, 5)
    report = run_build(settings)  # the schedule's refresh job, in process
    assert report.success, report.failure

    assert _raw_counts(home) == counts
    assert _raw_activities(home) == _expected_activities(5)  # no default-seed (42) cohort merged in
    assert _published(home, "select count(*) from openfit.activities") == published
    assert _published(home, "select settings_hash from meta.build_info") == [(settings_hash(settings),)]
    status = runner.invoke(app, ["status"], terminal_width=200)
    assert f"settings hash {settings_hash(settings)}" in status.output


def test_switching_the_seed_replaces_the_cohort_instead_of_mixing_two(home):
    assert _expected_activities(5) != _expected_activities(6)
    result = runner.invoke(app, ["config", "set", "synthetic_seed", "6"])
    assert result.exit_code == 0, result.output
    get_settings.cache_clear()
    report = run_build()
    assert report.success, report.failure  # the blocking activities_quality check passed: no overlaps

    # Exactly seed 6's activities: none of seed 5's survive under the shared athlete and activity ids.
    assert _raw_activities(home) == _expected_activities(6)
    published_ids = {r[0] for r in _published(home, "select distinct athlete_id from openfit.activities")}
    assert published_ids == {"athlete-001"}


def test_disabling_synthetic_removes_it_from_the_published_data(home):
    result = runner.invoke(app, ["config", "set", "synthetic_enabled", "false"])
    assert result.exit_code == 0, result.output
    assert "removes the synthetic cohort" in result.output
    get_settings.cache_clear()
    report = run_build()
    assert report.success, report.failure

    assert all(count == 0 for count in _raw_counts(home).values())
    for table in ("athletes", "activities", "devices", "sleep_sessions", "wellness_daily", "metrics"):
        assert _published(home, f"select count(*) from openfit.{table}") == [(0,)], table

    # Enabling it again loads the cohort afresh (its dlt state went with its rows).
    assert runner.invoke(app, ["config", "set", "synthetic_enabled", "true"]).exit_code == 0
    get_settings.cache_clear()
    report = run_build()
    assert report.success, report.failure
    assert _raw_activities(home) == _expected_activities(5)


def test_an_import_and_the_inbox_job_in_the_home_keep_the_cohort(home, tmp_path):
    """`openfit import` and the inbox sensor's job build with the home's settings too (the reported drift)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingestion" / "files"))
    import fit_samples

    from orchestration.defs.files import INBOX_JOB

    counts = _raw_counts(home)
    ride = tmp_path / "one.fit"
    ride.write_bytes(fit_samples.activity(n=300))
    result = runner.invoke(app, ["import", str(ride)])
    assert result.exit_code == 0, result.output
    get_settings.cache_clear()
    (get_settings().inbox_dir / "two.fit").write_bytes(fit_samples.activity(n=200, serial=77))
    report = run_build(get_settings(), job_name=INBOX_JOB)
    assert report.success, report.failure

    assert _raw_counts(home) == counts
    assert _raw_activities(home) == _expected_activities(5)
    assert _published(home, "select count(*) from openfit.activity_recordings where source = 'files'") == [
        (2,)
    ]


def test_a_new_pmc_convention_changes_only_the_pmc_marts(home):
    sys_path = str(Path(__file__).resolve().parents[1])
    import sys

    sys.path.insert(0, sys_path)
    from incremental.checksums import differences, table_checksums

    before = table_checksums(home / "serving" / "snapshot.duckdb")
    result = runner.invoke(app, ["config", "set", "algo.pmc", "trainingpeaks"])
    assert result.exit_code == 0, result.output
    get_settings.cache_clear()
    assert get_settings().algo_pmc == "trainingpeaks"
    report = run_build()
    assert report.success, report.failure

    changed = set(differences(before, table_checksums(home / "serving" / "snapshot.duckdb")))
    assert changed, "the PMC convention changed nothing"
    # TSB and the CTL ramp feed the wellness marts (readiness, anomalies) too.
    assert changed <= {
        "marts.daily_training_load",
        "marts.daily_athlete_summary",
        "marts.wellness_baselines",
        "marts.anomalies",
        "marts.readiness",
    }, changed
    # ... and only the PMC models were recomputed, not the whole warehouse
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        kind, reason = con.execute(
            "select kind, reason from openfit_state.builds order by seq desc limit 1"
        ).fetchone()
    assert (kind, reason) == ("incremental", "incremental; settings changed: algo_pmc")
