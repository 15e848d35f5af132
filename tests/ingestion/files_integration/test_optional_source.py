"""The files staging models build on a warehouse that never imported a file (optional_source falls back to
empty typed selects) and read only the columns a raw table has (absent ones are typed nulls)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from orchestration.dbt import dbt_command


def _dbt_run(warehouse: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENFIT_WAREHOUSE_PATH": str(warehouse), "OPENFIT_DBT_KEEP_OPEN": "False"}
    return subprocess.run(
        dbt_command(
            [
                "run",
                "--select",
                "path:models/staging/files",
                "path:models/openfit/file_imports.sql",  # the file-import log, published from raw_files
                "--target-path",
                str(tmp_path / "target"),
                "--log-path",
                str(tmp_path / "logs"),
            ]
        ),  # fmt: skip
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.timeout(600)
def test_staging_builds_without_raw_files_and_with_partial_columns(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    run = _dbt_run(warehouse, tmp_path)
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from staging.stg_fit__sessions").fetchone() == (0,)
        assert con.execute("select count(*) from openfit.file_imports").fetchone() == (0,)
        types = dict(
            con.execute("select column_name, column_type from (describe staging.stg_fit__records)").fetchall()
        )
    assert types["ts"] == "TIMESTAMP WITH TIME ZONE" and types["heart_rate"] == "SMALLINT"

    # A raw record table with only some columns (no power meter, no GPS) and an impossible heart rate.
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw_files")
        con.execute(
            "create table raw_files.fit_record as select 'abc' as file_sha256, i::bigint as row_index, "
            "timestamptz '2024-05-01 06:00:00+00' + to_seconds(i) as timestamp, "
            "case when i = 1 then 900 else 120 end as heart_rate from range(3) t(i)"
        )
    run = _dbt_run(warehouse, tmp_path)
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select recording_id, heart_rate, power_w, lat from staging.stg_fit__records order by ts"
        ).fetchall()
        sessions = con.execute("select recording_id, duration_s from staging.stg_fit__sessions").fetchall()
    # no session message: one recording derived from the records; HR 900 nulled, absent columns null
    assert sessions == [("files:abc:0", 2.0)]
    assert rows == [
        ("files:abc:0", 120, None, None),
        ("files:abc:0", None, None, None),
        ("files:abc:0", 120, None, None),
    ]
