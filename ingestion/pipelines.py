"""dlt pipelines: one per provider, all loading into `raw_<provider>` of the writer's DuckDB file.

Only Dagster-run code (and tests building their own warehouse) calls these; they are the raw layer's writers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import dlt
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.extract.source import DltSource
from dlt.pipeline.pipeline import Pipeline

from ingestion.auth.http import ApiClient
from openfit.settings import Settings, get_settings


def provider_pipeline(provider_name: str, settings: Settings | None = None) -> Pipeline:
    """The dlt pipeline for one provider: destination = the writer's DuckDB file, dataset = raw_<provider>."""
    settings = settings or get_settings()
    settings.ensure_dirs()
    # Every raw row carries dlt's load id, Arrow tables too (JSON tables always do): the incremental transform
    # finds new rows by it (orchestration/incremental.py). Set here, for every pipeline of every process; set by
    # one source only, a file import in a process without that source was invisible to the next increment.
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True
    return dlt.pipeline(
        pipeline_name=f"openfit_{provider_name}",
        pipelines_dir=str(settings.dlt_dir),
        destination=dlt.destinations.duckdb(
            credentials=DuckDbCredentials(
                str(settings.warehouse_path),
                # Bound the loader's memory by a batch, not by the data set (DuckDB would take 80 % of RAM).
                global_config={"memory_limit": settings.duckdb_memory_limit},
            )
        ),
        dataset_name=f"raw_{provider_name}",
    )


def finish_pending_loads(pipeline: Pipeline) -> int:
    """Load what an interrupted run left pending in `pipeline`; returns the number of load packages finished.

    Call it before extracting: dlt's ``run`` would load a pending package and then return without extracting
    its new input (a file import reported "imported 0" and ignored the user's files). Finishing, not
    discarding, is right: a pending package holds rows that were fully extracted (for file imports, decoded
    rows together with their ``file_imports`` log rows, the originals already in the blob store), so loading
    it completes the earlier run with its provenance intact; dropping it would lose them."""
    if not pipeline.has_pending_data:
        return 0
    if pipeline.list_extracted_load_packages():
        pipeline.normalize()
    pending = list(pipeline.list_normalized_load_packages())
    try:
        pipeline.load()
    except Exception as exc:
        raise RuntimeError(
            f"could not finish the {len(pending)} load package(s) an interrupted run left in "
            f"{pipeline.working_dir}: {exc}"
        ) from exc
    return len(pending)


def sync_until_caught_up(
    pipeline: Pipeline,
    make_source: Callable[[], DltSource],
    athlete: str,
    client: ApiClient,
    max_runs: int = 1000,
    on_chunk: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run `make_source()` chunk after chunk until none of its resources needs another run for `athlete`.

    A resource keeps its per-athlete state in dlt's resource state (`state[athlete]`) and sets `resume` while
    its backfill is unfinished, `exhausted` when the provider's budget for the day is spent (the run ends; the
    next one resumes). After the first run only the resources still resuming run again, and only among those
    the source was built with: a run limited to some collections (a webhook's) ends when those have caught
    up, even while other collections are mid-backfill. Each run is one dlt load, so a crash keeps what
    committed. Returns the summary (runs, resume, exhausted, the client's request counts); `on_chunk` gets
    the summary so far after every run (the orchestrator's progress report)."""
    runs, resume, exhausted = 0, False, False
    while runs < max_runs:
        source = make_source()
        if runs > 0:
            states = _athlete_states(pipeline, source, athlete)
            source = source.with_resources(*[name for name, st in states.items() if st.get("resume")])
        pipeline.run(source)
        runs += 1
        states = _athlete_states(pipeline, source, athlete)
        resume = any(st.get("resume") for st in states.values())
        exhausted = any(st.get("exhausted") for st in states.values())
        if on_chunk is not None:
            on_chunk({"runs": runs, "resume": resume, **dict(client.stats)})
        if not resume or exhausted:
            break
    return {"runs": runs, "resume": resume, "exhausted": exhausted, **dict(client.stats)}


def sync_provider(
    pipeline: Pipeline,
    athlete: str,
    client: ApiClient | None,
    open_client: Callable[[], ApiClient],
    make_source: Callable[[ApiClient], DltSource],
    max_runs: int = 1000,
    on_chunk: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """`sync_until_caught_up` for a provider's source, owning the client's lifecycle: with no `client` given one
    is opened by `open_client` and closed when the sync ends (also on failure); a given client is the caller's
    and stays open. `make_source(client)` builds the provider's source for each chunk."""
    own_client = client is None
    client = client or open_client()
    try:
        return sync_until_caught_up(
            pipeline, lambda: make_source(client), athlete, client, max_runs, on_chunk
        )
    finally:
        if own_client:
            client.close()


def _athlete_states(pipeline: Pipeline, source: DltSource, athlete: str) -> dict[str, dict[str, Any]]:
    """`athlete`'s state of each resource of `source` (selected or not), as the pipeline last committed it."""
    committed = pipeline.state.get("sources", {}).get(source.name, {}).get("resources", {})
    return {name: committed.get(name, {}).get(athlete, {}) for name in source.resources}


def day_windows(state: dict[str, Any], settings: Any, today: date) -> list[tuple[date, date]]:
    """The next run's request windows for a provider paged by date range (Oura, WHOOP, Google Health): from
    `backfill_since` on a first sync, else from the resource state's `next_day` (minus `lookback_days`, since the
    provider revises recent days, unless a backfill is resuming), in `window_days` steps, at most
    `windows_per_run` of them (one dlt load's chunk), never past `today`."""
    if state.get("next_day"):
        start = date.fromisoformat(state["next_day"])
        if not state.get("resume"):
            start -= timedelta(days=settings.lookback_days)
    else:
        start = settings.backfill_since
    windows = []
    while start <= today and len(windows) < settings.windows_per_run:
        end = min(today, start + timedelta(days=settings.window_days - 1))
        windows.append((start, end))
        start = end + timedelta(days=1)
    return windows
