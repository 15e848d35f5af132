"""The synthetic source through the real dlt pipeline into a fresh DuckDB file per test."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from ingestion.pipelines import provider_pipeline
from ingestion.registry import Capability, discover
from ingestion.sources.synthetic import PROVIDER, ground_truth, synthetic_source
from openfit.settings import get_settings

END = date(2025, 3, 30)

KEYS = {
    "athletes": ["athlete_id"],
    "athlete_profiles": ["athlete_id", "effective_from"],
    "devices": ["device_id"],
    "activities": ["activity_id"],
    "activity_streams": ["activity_id", '"timestamp"'],
    "laps": ["activity_id", "lap_index"],
    "sleep": ["sleep_id"],
    "sleep_levels": ["sleep_id", "start_gmt"],
    "daily_summaries": ["device_id", "calendar_date"],
    "weigh_ins": ["device_id", "timestamp_gmt"],
    "intraday": ["device_id", "metric", '"timestamp"'],
}


@pytest.fixture
def settings(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path))
    get_settings.cache_clear()
    return get_settings()


def _counts(settings) -> dict[str, tuple[int, int]]:
    """(rows, distinct keys) per raw table."""
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        out = {}
        for table, key in KEYS.items():
            rows, distinct = con.execute(
                f"select count(*), count(distinct ({', '.join(key)})) from raw_synthetic.{table}"
            ).fetchone()
            out[table] = (rows, distinct)
        return out
    finally:
        con.close()


def _run(settings, **kwargs):
    pipeline = provider_pipeline("synthetic", settings)
    params = {"athletes": 2, "days": 21, "seed": 5, "end_date": END, **kwargs}
    info = pipeline.run(synthetic_source(**params))
    assert not info.has_failed_jobs
    return pipeline


def test_provider_is_registered():
    assert discover()["synthetic"] is PROVIDER
    assert (
        PROVIDER.capabilities
        == Capability.ACTIVITIES | Capability.SLEEP | Capability.RECOVERY | Capability.HEALTH_METRICS
    )
    assert PROVIDER.raw_dataset == "raw_synthetic" and PROVIDER.kind == "synthetic"


def test_load_creates_every_table_with_unique_keys_and_provenance(settings):
    _run(settings)
    counts = _counts(settings)
    assert all(rows > 0 for rows, _ in counts.values()), counts
    assert all(rows == distinct for rows, distinct in counts.values()), counts
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        tables = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw_synthetic'"
            ).fetchall()
        }
        assert set(KEYS) <= tables
        for table in KEYS:
            nulls = con.execute(
                f"select count(*) filter (where _source <> 'synthetic' or _fetched_at is null or _dlt_load_id is null)"
                f" from raw_synthetic.{table}"
            ).fetchone()[0]
            assert nulls == 0, table
        # payload is kept verbatim as JSON, vendor field names and units
        kind, start, offset = con.execute(
            "select typeof(payload), payload->>'startTimeGmt', payload->>'timeZoneOffsetSec'"
            " from raw_synthetic.activities limit 1"
        ).fetchone()
        assert kind == "JSON" and int(start) > 1_700_000_000 and abs(int(offset)) <= 14 * 3600
        # every stream belongs to an activity, and every activity has a stream
        orphans = con.execute(
            "select count(*) from (select distinct activity_id from raw_synthetic.activity_streams) s"
            " full join raw_synthetic.activities a on a.activity_id = s.activity_id"
            " where a.activity_id is null or s.activity_id is null"
        ).fetchone()[0]
        assert orphans == 0
        raw_ids = {r[0] for r in con.execute("select activity_id from raw_synthetic.activities").fetchall()}
    finally:
        con.close()
    truth = ground_truth(athletes=2, days=21, seed=5, end_date=END)
    assert set(truth["activity_id"]) == raw_ids


def test_running_twice_adds_no_duplicates(settings):
    _run(settings)
    first = _counts(settings)
    _run(settings)  # incremental: nothing new to generate
    assert _counts(settings) == first
    _run(settings, incremental=False)  # full regeneration: merge replaces, never appends
    assert _counts(settings) == first


def _load_and_see_athletes(settings, **kwargs) -> dict[str, list[str]]:
    """Run a load; per static table, the athletes whose rows it wrote (none when it made no load at all)."""
    before = ""
    if settings.warehouse_path.exists():
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            before = con.execute("select max(load_id) from raw_synthetic._dlt_loads").fetchone()[0]
    _run(settings, **kwargs)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return {
            table: [
                row[0]
                for row in con.execute(
                    f"select distinct athlete_id from raw_synthetic.{table} where _dlt_load_id > ? order by 1",
                    [before],
                ).fetchall()
            ]
            for table in ("athletes", "athlete_profiles", "devices")
        }


def test_unchanged_static_rows_are_not_loaded_again(settings):
    """A load with nothing new must deliver no athlete's rows (the transform then has nothing to recompute):
    the athletes, profiles and devices are sent again only for the athletes whose rows changed."""
    first_window = {"days": 14, "end_date": date(2025, 3, 23)}
    both = ["athlete-001", "athlete-002"]
    loaded = _load_and_see_athletes(settings, **first_window)
    assert loaded == {"athletes": both, "athlete_profiles": both, "devices": both}
    counts = _counts(settings)
    loaded = _load_and_see_athletes(settings, **first_window)  # nothing new
    assert loaded == {"athletes": [], "athlete_profiles": [], "devices": []}
    assert _counts(settings) == counts
    # a later window, extracted for the second athlete only; then the first one's changed rows follow
    assert _load_and_see_athletes(settings, only_athletes=[1])["athletes"] == ["athlete-002"]
    assert _load_and_see_athletes(settings)["athletes"] == ["athlete-001"]


def test_incremental_extension_equals_a_full_load(settings, tmp_path, monkeypatch):
    _run(settings, days=14, end_date=date(2025, 3, 23))
    _run(settings, days=21, end_date=END)  # one more week, generated incrementally
    incremental = _counts(settings)
    monkeypatch.setenv("OPENFIT_HOME", str(tmp_path / "full"))
    get_settings.cache_clear()
    full_settings = get_settings()
    _run(full_settings, days=21, end_date=END)
    full = _counts(full_settings)
    # the profile table keeps the older window's first row too; everything else is identical
    incremental.pop("athlete_profiles")
    full.pop("athlete_profiles")
    assert incremental == full


def test_resources_share_each_generated_chunk_once(settings, monkeypatch):
    """dlt's round-robin extraction keeps the resources in step: every chunk is generated exactly once."""
    import ingestion.sources.synthetic.source as source_module

    calls = []
    original = source_module.generate_chunk

    def counting(*args, **kwargs):
        calls.append(args[:4])
        return original(*args, **kwargs)

    monkeypatch.setattr(source_module, "generate_chunk", counting)
    pipeline = provider_pipeline("synthetic", settings)
    pipeline.extract(synthetic_source(athletes=2, days=60, seed=1, end_date=END, chunk_days=10))
    assert len(calls) == 2 * 6 and len(set(calls)) == len(calls)
