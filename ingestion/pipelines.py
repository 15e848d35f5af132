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
