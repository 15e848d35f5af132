"""dlt pipelines: one per provider, all loading into `raw_<provider>` of the writer's DuckDB file.

Only Dagster-run code (and tests building their own warehouse) calls these; they are the raw layer's writers.
"""

from __future__ import annotations

import dlt
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.pipeline.pipeline import Pipeline

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
