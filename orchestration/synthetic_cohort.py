"""One synthetic cohort at a time in the raw layer, and none when the synthetic source is disabled.

The synthetic source merges on its record ids, and its athlete ids do not depend on the seed: loading a second
cohort (another seed, size or window) into the same raw tables would put two cohorts' activities under one
athlete id. So the cohort a home's raw layer holds is recorded (openfit_state.synthetic_cohort), and when the
settings ask for another one (`replaces`: another seed, or a smaller cohort; a larger one only adds rows and
stays incremental), or for none (`synthetic_enabled = false`), the synthetic raw rows and the source's dlt state
are removed first; the extraction then loads the new cohort from scratch. The raw tables are emptied,
not dropped, because the dbt staging models read them. Their loads vanish from the raw layer, which makes the
next transform a full rebuild (orchestration/incremental.py), so no published row outlives its raw data.
"""

from __future__ import annotations

import json
import shutil

import duckdb

from openfit.settings import SYNTHETIC_COHORT_SETTINGS, Settings
from orchestration.incremental import STATE_SCHEMA, ensure_state

RAW_SCHEMA = "raw_synthetic"
PIPELINE_NAME = "openfit_synthetic"  # ingestion.pipelines.provider_pipeline("synthetic")
_MARKER = f"{STATE_SCHEMA}.synthetic_cohort"


def wanted_cohort(settings: Settings) -> str | None:
    """The cohort the settings ask for, as a comparable string; None when the synthetic source is disabled."""
    if not settings.synthetic_enabled:
        return None
    return json.dumps(
        {name: str(getattr(settings, name)) for name in SYNTHETIC_COHORT_SETTINGS}, sort_keys=True
    )


def replaces(recorded: str | None, wanted: str | None) -> bool:
    """Whether loading `wanted` over `recorded` would leave rows the wanted cohort does not have.

    Athlete k's data do not depend on the cohort's size, nor a day's on the window (ingestion/sources/synthetic),
    so more athletes, more days or a later end date only add rows, incrementally. Another seed (other data under
    the same ids), fewer athletes, fewer days, an earlier end date, or a fixed end date replacing "today" leave
    rows behind that the new cohort lacks: those replace the cohort."""
    if recorded is None or wanted is None:
        return recorded != wanted
    old, new = json.loads(recorded), json.loads(wanted)
    if old["synthetic_seed"] != new["synthetic_seed"]:
        return True
    if int(new["synthetic_athletes"]) < int(old["synthetic_athletes"]):
        return True
    if int(new["synthetic_days"]) < int(old["synthetic_days"]):
        return True
    old_end, new_end = old["synthetic_end_date"], new["synthetic_end_date"]
    if new_end == "None":
        return False  # rolling to today: later than any day loaded before
    return old_end == "None" or new_end < old_end  # ISO dates compare as strings


def _raw_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_catalog = current_database() "
            "and table_schema = ? and table_type = 'BASE TABLE' order by 1",
            [RAW_SCHEMA],
        ).fetchall()
    ]


def _has_synthetic_rows(con: duckdb.DuckDBPyConnection) -> bool:
    if "_dlt_loads" not in _raw_tables(con):
        return False
    return con.execute(f"select count(*) from {RAW_SCHEMA}._dlt_loads").fetchone()[0] > 0


def _purge(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    # Every table, _dlt_loads and _dlt_pipeline_state included (dlt would restore its state from the latter);
    # _dlt_version keeps the schema so that the emptied tables stay valid for dlt and dbt.
    con.execute("begin")
    for table in _raw_tables(con):
        if table != "_dlt_version":
            con.execute(f'delete from {RAW_SCHEMA}."{table}"')
    con.execute("commit")
    shutil.rmtree(settings.dlt_dir / PIPELINE_NAME, ignore_errors=True)


def _record(con: duckdb.DuckDBPyConnection, cohort: str | None) -> None:
    con.execute(f"create table if not exists {_MARKER} (cohort varchar)")
    con.execute("begin")
    con.execute(f"delete from {_MARKER}")
    con.execute(f"insert into {_MARKER} values (?)", [cohort])
    con.execute("commit")


def prepare_synthetic_extraction(con: duckdb.DuckDBPyConnection, settings: Settings) -> str | None:
    """Before the synthetic source loads: empty its raw layer when it holds another cohort than the settings
    ask for (or one of unknown origin, from before the cohort was recorded). Returns what was done, if anything."""
    ensure_state(con)
    wanted = wanted_cohort(settings)
    recorded = con.execute(f"select cohort from {_MARKER}").fetchall() if _marker_exists(con) else None
    done = None
    if _has_synthetic_rows(con) and (not recorded or replaces(recorded[0][0], wanted)):
        _purge(con, settings)
        done = f"removed the previous synthetic cohort's raw rows to load {wanted}"
    _record(con, wanted)
    return done


def remove_synthetic_if_disabled(con: duckdb.DuckDBPyConnection, settings: Settings) -> str | None:
    """Before a transform: with `synthetic_enabled = false`, no synthetic row may remain in the raw layer (a real
    user's warehouse holds only their data). Returns what was done, if anything."""
    if settings.synthetic_enabled:
        return None
    ensure_state(con)
    done = None
    if _has_synthetic_rows(con):
        _purge(con, settings)
        done = "removed the synthetic cohort's raw rows (synthetic_enabled = false)"
    _record(con, None)
    return done


def _marker_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_catalog = current_database() "
            "and table_schema = ? and table_name = 'synthetic_cohort'",
            [STATE_SCHEMA],
        ).fetchone()[0]
    )
