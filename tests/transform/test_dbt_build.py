"""`dbt build` on a real (small) synthetic raw layer: the OpenFit schema exists as the spec says, is populated,
keyed, linked and idempotent."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date, datetime

import duckdb
import jsonschema
import pytest

from openfit import schema_spec
from openfit.schema_spec import REPO_ROOT

from .conftest import BUILD_ARGS, run_dbt

SPEC = schema_spec.load_spec()
TABLES = [table.name for table in SPEC.tables]
# Filled by imported files only; this synthetic build imports none (tests/ingestion/files_integration fill it).
FILES_ONLY = {"file_imports"}


@pytest.fixture
def con(transform_warehouse):
    # Per test, never held across one: dbt cannot open the file read-write while this process reads it.
    connection = duckdb.connect(str(transform_warehouse.settings.warehouse_path), read_only=True)
    yield connection
    connection.close()


def _count(con, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def test_every_model_test_and_unit_test_passed(transform_warehouse):
    executed = [r for r in transform_warehouse.dbt_results if str(r.node.resource_type) != "exposure"]
    statuses = {str(r.status) for r in executed}
    assert statuses <= {"success", "pass"}, statuses
    assert {"model", "test", "unit_test", "seed"} <= {str(r.node.resource_type) for r in executed}


def test_schemas_are_named_exactly(con):
    schemas = {
        row[0] for row in con.execute("select schema_name from information_schema.schemata").fetchall()
    }
    assert {"staging", "intermediate", "openfit"} <= schemas
    assert not any(s.startswith("main_") for s in schemas)


@pytest.mark.parametrize("table", TABLES)
def test_table_exists_with_the_spec_columns_and_types_and_is_populated(con, table):
    columns = con.execute(
        "select column_name, lower(data_type) from information_schema.columns "
        "where table_schema = 'openfit' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    spec_table = next(t for t in SPEC.tables if t.name == table)
    expected = [(c.name, c.data_type) for c in spec_table.columns]
    assert columns == expected
    assert (_count(con, f"select count(*) from openfit.{table}") > 0) is (table not in FILES_ONLY)


@pytest.mark.parametrize("table", [t for t in SPEC.tables if t.primary_key], ids=lambda t: t.name)
def test_no_duplicate_keys(con, table):
    key = ", ".join(f'"{c}"' for c in table.primary_key)
    duplicates = _count(
        con, f"select count(*) from (select {key} from openfit.{table.name} group by all having count(*) > 1)"
    )
    assert duplicates == 0


def _jsonable(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("table", [table for table in TABLES if table not in FILES_ONLY])
def test_rows_validate_against_the_published_json_schema(con, table):
    schema = json.loads((REPO_ROOT / "schema" / "openfit" / f"{table}.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    cursor = con.execute(f"select * from openfit.{table} using sample 200 rows")
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    assert rows
    for row in rows:
        errors = [
            e.message
            for e in validator.iter_errors({n: _jsonable(v) for n, v in zip(names, row, strict=True)})
        ]
        assert not errors, errors


def test_spec_version_is_recorded(con):
    assert con.execute("select spec_version from openfit.spec_info").fetchall() == [(SPEC.version,)]


def test_every_recording_is_linked_once_and_every_activity_has_one_primary(con):
    recordings = _count(con, "select count(*) from openfit.activity_recordings")
    linked = _count(con, "select count(distinct recording_id) from openfit.activity_recordings")
    activities = _count(con, "select count(*) from openfit.activities")
    assert recordings == linked  # a recording belongs to exactly one activity
    assert activities <= recordings  # the merge folds recordings of one workout into one activity
    primaries = """
        select count(*) from (
            select activity_id, count(*) filter (where recording_role = 'primary') as n
            from openfit.activity_recordings group by activity_id
        ) where n <> 1
    """
    assert _count(con, primaries) == 0
    mislinked = """
        select count(*) from openfit.activities a
        join openfit.activity_recordings r on r.recording_id = a.primary_recording_id
        where r.activity_id <> a.activity_id or r.recording_role <> 'primary'
    """
    assert _count(con, mislinked) == 0


def test_samples_belong_to_their_activity_window_and_are_converted(con):
    outside_sql = """
        select count(*) from openfit.activity_samples s join openfit.activities a using (activity_id)
        where s.ts < a.start_time - interval 5 minute or s.ts > a.end_time + interval 5 minute
    """
    outside = _count(con, outside_sql)
    assert outside == 0
    lat_min, lat_max, speed_max = con.execute(
        "select min(lat), max(lat), max(speed_mps) from openfit.activity_samples"
    ).fetchone()
    assert -90 <= lat_min <= lat_max <= 90 and lat_max != lat_min  # semicircles became degrees
    assert 0 < speed_max < 60  # mm/s became m/s


def test_activity_ids_are_derived_from_one_of_their_recordings(con):
    # The id is md5 of the activity's anchor recording (the one loaded first), which need not be the primary.
    rows = con.execute(
        "select activity_id, list(recording_id) from openfit.activity_recordings group by activity_id"
    ).fetchall()
    assert rows
    for activity_id, recording_ids in rows:
        candidates = {"act_" + hashlib.md5(r.encode()).hexdigest()[:16] for r in recording_ids}
        assert activity_id in candidates


def test_sleep_counts_for_the_local_date_it_ends(con):
    mismatched_sql = """
        select count(*) from openfit.sleep_sessions
        where local_date <> cast((end_time at time zone 'UTC') + to_seconds(utc_offset_s) as date)
    """
    mismatched = _count(con, mismatched_sql)
    assert mismatched == 0
    assert _count(con, "select count(*) from openfit.sleep_sessions where end_time <= start_time") == 0


def test_threshold_intervals_do_not_overlap(con):
    overlaps_sql = """
        select count(*) from openfit.athlete_thresholds a join openfit.athlete_thresholds b
          on a.athlete_id = b.athlete_id and a.valid_from < b.valid_from
        where a.valid_to is null or a.valid_to >= b.valid_from
    """
    overlaps = _count(con, overlaps_sql)
    assert overlaps == 0
    assert _count(con, "select count(*) from openfit.athlete_thresholds where valid_to is null") == _count(
        con, "select count(*) from openfit.athletes"
    )


def test_an_implausible_value_fails_the_build_by_constraint(transform_warehouse, tmp_path):
    """The ranges are CHECK constraints: a heart rate of 300 bpm in the raw layer stops the build."""
    copy = tmp_path / "warehouse.duckdb"  # same file name: the staging views are bound to the catalog name
    shutil.copy(transform_warehouse.settings.warehouse_path, copy)
    with duckdb.connect(str(copy)) as c:
        c.execute("update raw_synthetic.activity_streams set heart_rate = 300 where rowid = 0")
    settings = transform_warehouse.settings.model_copy(update={"home": tmp_path})
    assert settings.warehouse_path == copy
    result = run_dbt(settings, "build", "--select", "activity_samples", "--exclude", "test_type:data")
    assert not result.success
    failures = " ".join(str(r.message) for r in result.result if str(r.status) == "error")
    assert "CHECK constraint failed" in failures and "heart_rate BETWEEN 25 AND 250" in failures


@pytest.mark.slow
def test_rebuild_gives_identical_row_counts(transform_warehouse):
    def counts():
        with duckdb.connect(str(transform_warehouse.settings.warehouse_path), read_only=True) as c:
            return {t: c.execute(f"select count(*) from openfit.{t}").fetchone()[0] for t in TABLES}

    before = counts()
    result = run_dbt(transform_warehouse.settings, *BUILD_ARGS)
    assert result.success
    assert counts() == before
