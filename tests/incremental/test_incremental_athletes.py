"""An increment about one athlete rewrites that athlete's rows only, and still equals a full build.

Two synthetic athletes; a new day arrives for the first only (as a provider sync of one athlete would bring it).
The incremental build recomputes the per-athlete tables and marts of that athlete (the other's rows are left as
they were, in the warehouse and in the patched snapshot), and the result equals `openfit build --full` of the
same raw layer, table by table.
"""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from incremental.builds import END, build, home_settings, publish_kind
from incremental.checksums import differences, table_checksums
from orchestration.incremental import STATE_SCHEMA

pytestmark = pytest.mark.slow

DAYS = 10


def _athlete_ids(settings) -> list[str]:
    with duckdb.connect(str(settings.snapshot_path), read_only=True) as con:
        return [r[0] for r in con.execute("select athlete_id from openfit.athletes order by 1").fetchall()]


def _rows_of(settings, athlete_id: str) -> dict[str, int]:
    """Per published table with athlete_id, the athlete's row count and a content checksum."""
    with duckdb.connect(str(settings.snapshot_path), read_only=True) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.columns "
            "where column_name = 'athlete_id' and table_schema in ('openfit', 'marts') order by 1"
        ).fetchall()
        return {
            table: con.execute(
                f"select count(*), sum(hash(t)) from {table} t where athlete_id = ?", [athlete_id]
            ).fetchone()
            for (table,) in tables
        }


def test_a_new_day_for_one_athlete_touches_only_that_athlete(tmp_path, monkeypatch):
    from ingestion.pipelines import provider_pipeline
    from ingestion.sources.synthetic import synthetic_source
    from orchestration.defs import TRANSFORM_JOB

    settings = home_settings(
        monkeypatch,
        tmp_path / "home",
        OPENFIT_SYNTHETIC_ATHLETES="2",
        OPENFIT_SYNTHETIC_DAYS=str(DAYS),
        OPENFIT_SYNTHETIC_SEED="7",
        OPENFIT_SYNTHETIC_END_DATE=END.isoformat(),
    )
    build(settings)
    first, second = (a for a in _athlete_ids(settings) if not a.startswith("files:"))
    first_before, second_before = _rows_of(settings, first), _rows_of(settings, second)

    source = synthetic_source(
        athletes=2, days=DAYS + 1, seed=7, end_date=END + timedelta(days=1), only_athletes=[0]
    )
    provider_pipeline("synthetic", settings).run(source).raise_on_failed_jobs()
    build(settings, job_name=TRANSFORM_JOB)

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        seq, kind = con.execute(
            f"select seq, kind from {STATE_SCHEMA}.builds order by seq desc limit 1"
        ).fetchone()
        changed = [
            r[0]
            for r in con.execute(
                f"select athlete_id from {STATE_SCHEMA}.changed_athlete_log where seq = ? order by 1", [seq]
            ).fetchall()
        ]
    assert kind == "incremental" and publish_kind(settings) == "incremental"
    assert changed == [first]
    assert _rows_of(settings, second) == second_before
    first_after = _rows_of(settings, first)
    assert first_after["openfit.wellness_daily"][0] == first_before["openfit.wellness_daily"][0] + 1
    assert first_after["marts.daily_athlete_summary"] != first_before["marts.daily_athlete_summary"]
    incremental = table_checksums(settings.snapshot_path)

    build(settings, full=True)
    assert differences(incremental, table_checksums(settings.snapshot_path)) == {}
