"""Publish: the last asset of every build; readers only ever see what it swapped in."""

import dagster as dg
from dagster import AssetExecutionContext

from orchestration.data_docs import generate_data_docs
from orchestration.instance import WRITER_POOL
from orchestration.publish import publish_snapshot

SNAPSHOT_KEY = dg.AssetKey(["serving", "openfit_snapshot"])


def build_publish_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=SNAPSHOT_KEY,
        deps=upstream,
        group_name="publish",
        pool=WRITER_POOL,
        kinds={"duckdb"},
        description=(
            "The read-only snapshot at $OPENFIT_HOME/serving/snapshot.duckdb, patched with what changed (or copied "
            "whole) beside the old one and swapped in atomically."
        ),
    )
    def openfit_snapshot(context: AssetExecutionContext) -> dg.MaterializeResult:
        result = publish_snapshot(run_id=context.run.run_id)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(result.path)),
                "built_at": result.built_at.isoformat(),
                "bytes": result.bytes,
                "tables": len(result.row_counts),
                "row_counts": dg.MetadataValue.json(result.row_counts),
                "kind": result.kind,  # incremental: only what changed was rewritten
                "rows_rewritten": dg.MetadataValue.json(result.rows_rewritten),
            }
        )

    return openfit_snapshot


@dg.asset(
    key=dg.AssetKey(["serving", "data_docs"]),
    deps=[SNAPSHOT_KEY],
    group_name="publish",
    # In the writer pool: it runs dbt in-process, whose DuckDB environment is process-wide.
    pool=WRITER_POOL,
    kinds={"dbt"},
    description=(
        "The data docs at $OPENFIT_HOME/serving/docs (dbt's docs site: every column's description, types and "
        "row counts read from the published snapshot, and the lineage), served by `openfit serve`."
    ),
)
def data_docs(context: AssetExecutionContext) -> dg.MaterializeResult:
    site = generate_data_docs()
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(site.resolve()))})
