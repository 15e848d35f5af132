"""Raw layer: one dlt asset group per provider, loading into `raw_<provider>` of the warehouse."""

import random

import dagster as dg
import duckdb
from dagster import AssetExecutionContext
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from ingestion.pipelines import finish_pending_loads, provider_pipeline
from ingestion.registry import Provider
from openfit.settings import Settings, get_settings
from orchestration.instance import WRITER_POOL
from orchestration.synthetic_cohort import prepare_synthetic_extraction

EXTRACT_MAX_RETRIES = 3
EXTRACT_BASE_DELAY_S = 5.0


class RawLayerTranslator(DagsterDltTranslator):
    """Asset keys `raw_<provider>/<table>`, the same keys dbt's sources resolve to, so the graph connects."""

    def __init__(self, provider: Provider):
        self.provider = provider

    def get_asset_spec(self, data: DltResourceTranslatorData) -> dg.AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(
            key=dg.AssetKey([self.provider.raw_dataset, data.resource.table_name or data.resource.name]),
            group_name="raw",
            deps=[],
        ).merge_attributes(kinds={"duckdb"}, tags={"openfit/provider": self.provider.name})


def source_kwargs(provider: Provider, settings: Settings) -> dict:
    """Arguments for a provider's dlt source, taken from settings (the synthetic cohort today)."""
    if provider.name == "synthetic":
        return {
            "athletes": settings.synthetic_athletes,
            "days": settings.synthetic_days,
            "seed": settings.synthetic_seed,
            "end_date": settings.synthetic_end_date,
        }
    return {}


def retry_delay_s(retry_number: int) -> float:
    """Exponential backoff with jitter: 5 s, 10 s, 20 s (±25 %)."""
    return EXTRACT_BASE_DELAY_S * (2**retry_number) * random.uniform(0.75, 1.25)


def provider_assets(provider: Provider) -> dg.AssetsDefinition:
    settings = get_settings()
    translator = RawLayerTranslator(provider)

    @dlt_assets(
        dlt_source=provider.dlt_source(**source_kwargs(provider, settings)),
        dlt_pipeline=provider_pipeline(provider.name, settings),
        name=f"raw_{provider.name}",
        dagster_dlt_translator=translator,
        pool=WRITER_POOL,
    )
    def _assets(context: AssetExecutionContext, dlt: DagsterDltResource):
        # Source and pipeline are rebuilt at run time so that they follow the settings of this process.
        current = get_settings()
        pipeline = provider_pipeline(provider.name, current)
        # First what an interrupted run left pending: dlt's run would load it and skip this run's extraction.
        finished = finish_pending_loads(pipeline)
        if finished:
            context.log.info(
                "%s: finished %d load package(s) an interrupted run left", provider.name, finished
            )
        if (
            provider.name == "synthetic"
        ):  # never two cohorts under one athlete id (orchestration/synthetic_cohort.py)
            with duckdb.connect(str(current.warehouse_path)) as con:
                replaced = prepare_synthetic_extraction(con, current)
            if replaced:
                context.log.info("synthetic: %s", replaced)
        try:
            yield from dlt.run(
                context=context,
                dlt_source=provider.dlt_source(**source_kwargs(provider, current)),
                dlt_pipeline=pipeline,
                dagster_dlt_translator=translator,
            )
        except Exception as exc:  # extraction is the flaky part: retry with backoff, then fail the run
            if context.retry_number < EXTRACT_MAX_RETRIES and is_transient(exc):
                raise dg.RetryRequested(
                    max_retries=EXTRACT_MAX_RETRIES, seconds_to_wait=retry_delay_s(context.retry_number)
                ) from exc
            raise

    return _assets


def is_transient(exc: BaseException) -> bool:
    """Network-ish failures are worth a retry; bad data or bugs are not."""
    text = f"{type(exc).__name__} {exc}".lower()
    return any(word in text for word in ("timeout", "connection", "temporarily", "503", "502", "504", "429"))
