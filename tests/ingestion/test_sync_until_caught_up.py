"""The one chunk loop every provider sync runs (`ingestion.pipelines.sync_until_caught_up`), on a real dlt
pipeline into a real DuckDB file, with a two-resource source whose backfills take several runs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from ingestion.pipelines import sync_until_caught_up


class Client:
    """Stands in for `ApiClient` where the loop needs it: its request counts."""

    def __init__(self) -> None:
        self.stats: Counter[str] = Counter()


def backfill_source(
    athlete: str, chunks: dict[str, int], client: Client, budget: int | None = None
) -> dlt.sources.DltSource:
    """Each resource loads one chunk per run until `chunks[name]` chunks are in; `budget` runs of any
    resource spend the day's budget (state `exhausted`)."""

    @dlt.source(name="backfill")
    def source() -> list[Any]:
        def make(name: str, total: int) -> Any:
            @dlt.resource(name=name, primary_key="chunk", write_disposition="merge")
            def resource() -> Iterator[dict[str, Any]]:
                state = dlt.current.resource_state().setdefault(athlete, {})
                done = state.get("done", 0)
                client.stats["requests"] += 1
                yield {"chunk": done}
                state["done"] = done + 1
                state["resume"] = state["done"] < total
                state["exhausted"] = budget is not None and client.stats["requests"] >= budget

            return resource

        return [make(name, total) for name, total in chunks.items()]

    return source()


@pytest.fixture
def pipeline(tmp_path: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name="chunk_loop",
        pipelines_dir=str(tmp_path / "dlt"),
        destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
        dataset_name="raw_backfill",
    )


def _rows(tmp_path: Path, table: str) -> int:
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        return con.execute(f"select count(*) from raw_backfill.{table}").fetchone()[0]


def test_runs_until_every_resource_has_caught_up(pipeline: dlt.Pipeline, tmp_path: Path) -> None:
    client = Client()
    reports: list[dict[str, Any]] = []
    summary = sync_until_caught_up(
        pipeline,
        lambda: backfill_source("anna", {"sleep": 2, "workouts": 4}, client),
        "anna",
        client,
        on_chunk=reports.append,
    )
    assert summary["runs"] == 4 and not summary["resume"] and not summary["exhausted"]
    assert (_rows(tmp_path, "sleep"), _rows(tmp_path, "workouts")) == (2, 4)
    # after the first run only the resources still resuming run again: 2 + 4 requests, not 2 x 4
    assert client.stats["requests"] == 6
    assert [r["resume"] for r in reports] == [True, True, True, False]


def test_a_run_limited_to_some_resources_ends_while_others_wait(
    pipeline: dlt.Pipeline, tmp_path: Path
) -> None:
    client = Client()
    first = sync_until_caught_up(
        pipeline,
        lambda: backfill_source("anna", {"sleep": 3, "workouts": 5}, client),
        "anna",
        client,
        max_runs=1,
    )
    assert first["runs"] == 1 and first["resume"]
    # a webhook about sleep builds the source with sleep only: the loop ends when sleep has caught up
    summary = sync_until_caught_up(
        pipeline, lambda: backfill_source("anna", {"sleep": 3}, client), "anna", client, max_runs=50
    )
    assert summary["runs"] == 2 and not summary["resume"]
    assert (_rows(tmp_path, "sleep"), _rows(tmp_path, "workouts")) == (3, 1)


def test_a_spent_budget_ends_the_run_and_the_next_resumes(pipeline: dlt.Pipeline, tmp_path: Path) -> None:
    client = Client()
    spent = sync_until_caught_up(
        pipeline, lambda: backfill_source("anna", {"workouts": 6}, client, budget=2), "anna", client
    )
    assert spent["runs"] == 2 and spent["exhausted"] and spent["resume"]
    fresh = Client()  # the next day: a new budget
    summary = sync_until_caught_up(
        pipeline, lambda: backfill_source("anna", {"workouts": 6}, fresh, budget=100), "anna", fresh
    )
    assert summary["runs"] == 4 and not summary["resume"]
    assert _rows(tmp_path, "workouts") == 6


def test_athletes_keep_their_own_state(pipeline: dlt.Pipeline, tmp_path: Path) -> None:
    client = Client()
    sync_until_caught_up(pipeline, lambda: backfill_source("anna", {"sleep": 3}, client), "anna", client)
    summary = sync_until_caught_up(
        pipeline, lambda: backfill_source("ben", {"sleep": 3}, client), "ben", client
    )
    assert summary["runs"] == 3  # ben's backfill is not taken for caught up because anna's is
