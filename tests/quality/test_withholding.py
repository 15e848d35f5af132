"""Withholding: failing rows that name their athletes keep only those athletes out of the publish
(orchestration/withholding.py, orchestration/publish.py); failures that name nobody still stop the whole build."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.publish import publish_snapshot
from orchestration.withholding import Withheld, attribute_failures, record_check_withheld, withheld_athletes
from query.snapshot import snapshot_connection


@pytest.fixture
def small_warehouse():
    con = duckdb.connect(":memory:")
    con.execute("create schema openfit")
    con.execute(
        "create table openfit.activities as select * from (values ('a1', 'ann'), ('a2', 'bob')) "
        "t(activity_id, athlete_id)"
    )
    con.execute(
        "create table openfit.activity_samples as select * from (values ('a1', 1), ('a1', 1), ('a2', 5)) "
        "t(activity_id, ts)"
    )
    con.execute(
        "create table openfit.activity_recordings as select 'r1' as recording_id, 'a1' as activity_id, "
        "'ann' as athlete_id"
    )
    con.execute("create table openfit.sleep_sessions as select 's1' as sleep_id, 'bob' as athlete_id")
    yield con
    con.close()


def test_failing_rows_are_traced_to_their_athletes(small_warehouse):
    duplicate_samples = (
        "select activity_id, ts, count(*) as n from openfit.activity_samples group by all having n > 1"
    )
    by_own_column = "select * from openfit.activities where athlete_id = 'bob'"
    by_sleep = "select 's1' as sleep_id"
    found = attribute_failures(
        small_warehouse,
        {
            "test.openfit.unique_samples.x": duplicate_samples,
            "test.openfit.not_in_future_activities.y": by_own_column,
            "test.openfit.sleep_check.z": by_sleep,
        },
    )
    assert sorted(found) == [
        Withheld("ann", "test.openfit.unique_samples.x", 1),
        Withheld("bob", "test.openfit.not_in_future_activities.y", 1),
        Withheld("bob", "test.openfit.sleep_check.z", 1),
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "select 'running' as sport, 3 as n_records",  # an accepted_values failure: no id, no athlete
        "select 'nobody' as activity_id",  # an id that belongs to no athlete
        "select cast(null as varchar) as athlete_id",
        None,
    ],
)
def test_a_failure_that_names_no_athlete_concerns_the_whole_warehouse(small_warehouse, sql):
    assert (
        attribute_failures(
            small_warehouse, {"test.openfit.ok.x": "select 'ann' as athlete_id", "test.openfit.bad.y": sql}
        )
        is None
    )


def test_a_partial_check_replaces_only_the_verdicts_on_what_it_examined(small_warehouse):
    check = "gx:activity_samples_quality"
    record_check_withheld(small_warehouse, check, [("ann", "a1"), ("ann", "a1"), ("bob", "a2")], ["a1", "a2"])
    assert withheld_athletes(small_warehouse) == {"ann": [(check, 2)], "bob": [(check, 1)]}
    record_check_withheld(
        small_warehouse, check, [], ["a2"]
    )  # a2 changed and now passes; a1 was not looked at
    assert withheld_athletes(small_warehouse) == {"ann": [(check, 2)]}
    small_warehouse.execute("delete from openfit.activities where activity_id = 'a1'")
    record_check_withheld(small_warehouse, check, [], ["a2"])  # a1 is gone: its verdict lapses
    assert withheld_athletes(small_warehouse) == {}
    record_check_withheld(small_warehouse, "gx:activities_quality", [("bob", None)], None)
    record_check_withheld(
        small_warehouse, "gx:activities_quality", [], None
    )  # a whole-frame check starts over
    assert withheld_athletes(small_warehouse) == {}


def _published(settings, sql: str, params: list) -> list:
    with snapshot_connection(settings) as con:
        return con.execute(sql, params).fetchall()


def test_the_publish_keeps_a_withheld_athletes_rows_and_rewrites_them_when_released(warehouse_copy):
    """Withheld: the athlete's rows in every table stay as last published while everyone else's are the
    warehouse's. Released: an incremental publish (which patches only what the change log names) rewrites the
    athlete's rows in the patched tables too."""
    settings = warehouse_copy
    with duckdb.connect(str(settings.warehouse_path)) as con:
        athletes = [
            r[0] for r in con.execute("select athlete_id from openfit.athletes order by 1").fetchall()
        ]
        held, other = athletes[0], athletes[1]
        con.execute(
            "insert into openfit_state.withheld values (?, 'test.openfit.some_test.x', 4, now(), null)",
            [held],
        )
        # changes no transform logged: only a whole-table copy (athletes) or the release (samples) shows them
        con.execute("update openfit.athletes set display_name = 'renamed'")
        con.execute("update openfit.activity_samples set heart_rate = heart_rate + 1")
    samples = (
        "select count(*) filter (where s.heart_rate is not null), sum(s.heart_rate) "
        "from openfit.activity_samples s join openfit.activities a using (activity_id) where a.athlete_id = ?"
    )
    names = "select count(*) filter (where display_name = 'renamed'), count(*) from openfit.athletes where athlete_id = ?"
    samples_before = {a: _published(settings, samples, [a]) for a in (held, other)}

    first = publish_snapshot("withheld", settings)
    assert first.kind == "incremental"
    assert _published(settings, names, [held])[0][0] == 0
    renamed, total = _published(settings, names, [other])[0]
    assert renamed == total > 0
    assert _published(settings, "select athlete_id, test, failing_rows from meta.withheld", []) == [
        (held, "test.openfit.some_test.x", 4)
    ]
    assert {a: _published(settings, samples, [a]) for a in (held, other)} == samples_before

    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("delete from openfit_state.withheld")
    publish_snapshot("released", settings)
    renamed, total = _published(settings, names, [held])[0]
    assert renamed == total > 0
    count, total_hr = _published(settings, samples, [held])[0]
    assert count > 0 and total_hr == samples_before[held][0][1] + count  # rewritten from the warehouse
    assert _published(settings, samples, [other]) == samples_before[other]  # not released: patched as logged
    assert _published(settings, "select count(*) from meta.withheld", []) == [(0,)]


@pytest.mark.slow
def test_a_file_from_a_watch_whose_clock_says_2031_withholds_only_its_owner(
    warehouse_copy, monkeypatch, tmp_path
):
    """Through `openfit import` (Dagster, dbt, the checks, the publish): the imported file's dates fail the dbt
    test not_in_future and the checks for its owner only. The import's build still publishes, with the other
    athletes' data current, the file's owner withheld (nothing of theirs published yet) and named by the dbt
    test and by the Dagster check's metadata."""
    import sys
    from datetime import UTC, datetime
    from pathlib import Path

    import dagster as dg
    from typer.testing import CliRunner

    from cli import app
    from orchestration.instance import prepare_instance

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingestion" / "files"))
    import fit_samples as samples

    future = datetime(
        2031, 5, 1, 6, 0, tzinfo=UTC
    )  # the generators read their start from these module globals
    monkeypatch.setattr(samples, "START", future)
    monkeypatch.setattr(samples, "START_MS", int(future.timestamp()) * 1000)
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "future.fit").write_bytes(samples.multisport(n_each=60))
    with snapshot_connection(warehouse_copy) as con:
        before = con.execute(
            "select athlete_id, count(*) from openfit.activities group by 1 order by 1"
        ).fetchall()

    result = CliRunner().invoke(app, ["import", str(drop)])
    assert result.exit_code == 0, result.output

    with snapshot_connection(warehouse_copy) as con:
        after = con.execute(
            "select athlete_id, count(*) from openfit.activities group by 1 order by 1"
        ).fetchall()
        withheld = con.execute("select athlete_id, test from meta.withheld order by all").fetchall()
        imports = con.execute("select status from openfit.file_imports").fetchall()
    assert after == before  # the owner's 2031 activities are not published; nobody else lost anything
    assert {athlete for athlete, _ in withheld} == {"me"}
    tests = {test for _, test in withheld}
    assert any(t.startswith("test.openfit.not_in_future_activities_start_time") for t in tests), tests
    assert "gx:activities_quality" in tests
    assert imports == []  # file_imports is the owner's too: withheld with the rest

    prepare_instance(warehouse_copy)
    with dg.DagsterInstance.get() as instance:
        records = instance.get_records_for_run(
            instance.get_runs(limit=1)[0].run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
    named = {
        r.event_log_entry.dagster_event.event_specific_data.check_name: r.event_log_entry.dagster_event.event_specific_data.metadata.get(
            "withheld_athletes"
        )
        for r in records
    }
    dbt_checks = [name for name in named if name.startswith("not_in_future_activities_start_time")]
    assert dbt_checks and named[dbt_checks[0]].value == ["me"]
    assert named["activities_quality"].value == ["me"]
