"""`openfit sql`: the DuckDB CLI on the published snapshot, read-only, tables without a schema prefix.

The command runs as a real child process (`python -m openfit sql`), as a researcher runs it: the DuckDB CLI
it starts inherits the process's stdin and stdout, which CliRunner cannot stand in for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from cli.sql_cmds import harlequin_command
from query.snapshot import attach_snapshot


def _openfit_sql(home, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENFIT_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "openfit", "sql", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _activity_count(settings) -> int:
    with attach_snapshot(settings.snapshot_path) as con:
        return con.execute("select count(*) from openfit.activities").fetchone()[0]


def test_command_prints_the_count_of_activities(fixture_warehouse):
    result = _openfit_sql(
        fixture_warehouse.home_dir, "-c", "select count(*) as n from activities", "--format", "csv"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["n", str(_activity_count(fixture_warehouse))]


def test_table_format_shows_marts_and_meta_without_a_schema_prefix(fixture_warehouse):
    result = _openfit_sql(
        fixture_warehouse.home_dir,
        "-c",
        "select (select count(*) from daily_training_load) as load_days, (select status from build_info) as status",
    )
    assert result.returncode == 0, result.stderr
    assert "load_days" in result.stdout and "success" in result.stdout


def test_interactive_session_reads_statements_from_stdin(fixture_warehouse):
    result = _openfit_sql(
        fixture_warehouse.home_dir, stdin=".mode csv\nselect count(*) as n from activities;\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["n", str(_activity_count(fixture_warehouse))]


def test_a_write_statement_is_refused_and_the_snapshot_is_unchanged(fixture_warehouse):
    before = fixture_warehouse.snapshot_path.stat().st_mtime_ns
    result = _openfit_sql(
        fixture_warehouse.home_dir, stdin="create table openfit.scratch as select 1 as x;\n"
    )
    assert result.returncode != 0
    assert "read-only" in result.stderr
    result = _openfit_sql(fixture_warehouse.home_dir, "-c", "delete from activities")
    assert result.returncode != 0
    assert "read-only" in result.stderr
    assert fixture_warehouse.snapshot_path.stat().st_mtime_ns == before
    with attach_snapshot(fixture_warehouse.snapshot_path) as con:
        assert (
            con.execute(
                "select count(*) from information_schema.tables where table_name = 'scratch'"
            ).fetchone()[0]
            == 0
        )


def test_csv_json_and_parquet_outputs_hold_the_same_rows(fixture_warehouse, tmp_path):
    query = "select activity_id, sport from activities order by activity_id limit 5"
    with attach_snapshot(fixture_warehouse.snapshot_path) as con:
        expected = con.execute(
            "select activity_id, sport from openfit.activities order by activity_id limit 5"
        ).fetchall()
    assert len(expected) == 5

    csv_file, json_file, parquet_file = tmp_path / "a.csv", tmp_path / "a.json", tmp_path / "a.parquet"
    for fmt, target in (("csv", csv_file), ("json", json_file), ("parquet", parquet_file)):
        result = _openfit_sql(
            fixture_warehouse.home_dir, "-c", query, "--format", fmt, "--output", str(target)
        )
        assert result.returncode == 0, (fmt, result.stderr)

    rows = duckdb.sql(f"select activity_id, sport from read_csv('{csv_file}') order by 1").fetchall()
    assert rows == expected
    as_json = json.loads(json_file.read_text())
    assert [(r["activity_id"], r["sport"]) for r in as_json] == expected
    rows = duckdb.sql(f"select activity_id, sport from '{parquet_file}' order by 1").fetchall()
    assert rows == expected


def test_parquet_needs_an_output_file(fixture_warehouse):
    result = _openfit_sql(fixture_warehouse.home_dir, "-c", "select 1", "--format", "parquet")
    assert result.returncode == 2
    assert "--output" in result.stderr


def test_without_a_snapshot_it_says_to_build_first(tmp_path):
    result = _openfit_sql(tmp_path, "-c", "select 1")
    assert result.returncode == 1
    assert "no snapshot" in result.stderr and "openfit build" in result.stderr


@pytest.mark.skipif(harlequin_command(Path("x"), Path("y")) is not None, reason="Harlequin is installed here")
def test_ide_without_harlequin_says_how_to_install_it(fixture_warehouse):
    result = _openfit_sql(fixture_warehouse.home_dir, "--ide")
    assert result.returncode == 1
    assert "Harlequin is not installed" in result.stderr and "--extra ide" in result.stderr
