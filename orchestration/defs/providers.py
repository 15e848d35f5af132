"""OAuth API providers (Strava, Oura, ...): per provider an asset group, a schedule and a backfill job.

The group's one multi-asset syncs every connected athlete (`TokenStore.athletes`) through the provider's own
sync function into `raw_<provider>`, chunk by chunk (each chunk one dlt load, resumable). Its asset keys are
`raw_<provider>/<table>`, the keys dbt's sources resolve to, so the dbt models wait for it. Progress is logged
and reported as asset observations after every chunk, so a long backfill shows in the UI while it runs.

Only configured providers (client id and secret set) get assets; an unconfigured one stays "available" and
the dbt staging models read its absent tables as empty (the optional_source macro).
"""

import time
from typing import Any

import dagster as dg

from ingestion.auth.errors import NeedsReauthError
from ingestion.pipelines import provider_pipeline
from ingestion.registry import Provider
from openfit.settings import get_settings
from orchestration.defs.ingest import EXTRACT_MAX_RETRIES, is_transient, retry_delay_s
from orchestration.instance import WRITER_POOL

# A scheduled or refresh run stops after this many chunks per athlete (the rest resumes next time), so a
# first connection with years of history cannot hold the single writer for hours; the backfill job has no cap.
SCHEDULED_MAX_CHUNKS = 20


class ProviderSyncConfig(dg.Config):
    max_chunks: int = SCHEDULED_MAX_CHUNKS  # 0 = until every connected athlete is caught up (backfill)
    # A push notification's run (the webhook sensor) syncs only the athletes it names (empty: every connected
    # one) and, where the provider's source filters by resource, only these collections (empty: all).
    athletes: list[str] = []
    collections: list[str] = []


def provider_group(provider: Provider) -> str:
    return provider.name


def sync_job_name(provider: Provider) -> str:
    return f"{provider.name}_sync"


def backfill_job_name(provider: Provider) -> str:
    return f"{provider.name}_backfill"


def connected_athletes(provider: Provider) -> list[str]:
    from ingestion.auth.tokens import TokenStore

    return TokenStore.from_settings().athletes(provider.name)


def _reauth_cause(exc: BaseException) -> NeedsReauthError | None:
    """dlt wraps what a resource raises (PipelineStepFailed): find a rejected grant in the chain."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, NeedsReauthError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _loaded_rows(pipeline: Any) -> dict[str, int]:
    """Rows per table of the pipeline's last load (its normalize step's counts), `_dlt` tables left out."""
    trace = pipeline.last_trace
    info = trace.last_normalize_info if trace is not None else None
    counts = info.row_counts if info is not None else {}
    return {table: int(n) for table, n in counts.items() if not table.startswith("_dlt")}


def provider_sync_assets(provider: Provider) -> dg.AssetsDefinition:
    """The multi-asset `raw_<provider>`: every table the provider writes, materialized together."""
    assert provider.api_sync is not None, provider.name
    api = provider.api_sync
    specs = [
        dg.AssetSpec(
            key=dg.AssetKey([provider.raw_dataset, table]),
            group_name=provider_group(provider),
            kinds={"duckdb"},
            tags={"openfit/provider": provider.name, "openfit/layer": "raw"},
            description=f"{provider.display_name} `{table}` of every connected athlete, raw payloads verbatim.",
        )
        for table in api.raw_tables
    ]

    @dg.multi_asset(name=provider.raw_dataset, specs=specs, pool=WRITER_POOL, can_subset=False)
    def _sync(context: dg.AssetExecutionContext, config: ProviderSyncConfig):
        athletes = connected_athletes(provider)
        if config.athletes:
            unknown = sorted(set(config.athletes) - set(athletes))
            if unknown:
                context.log.warning("%s: not connected: %s", provider.name, ", ".join(unknown))
            athletes = [a for a in athletes if a in config.athletes]
        sync_kwargs: dict[str, Any] = {}
        if config.collections:
            sync_kwargs["collections"] = tuple(config.collections)
            context.log.info("%s: syncing only %s", provider.name, ", ".join(config.collections))
        if not athletes:
            context.log.info("%s: no connected athlete (openfit connect %s)", provider.name, provider.name)
        pipeline = provider_pipeline(provider.name, get_settings())
        max_runs = config.max_chunks or 1_000_000
        rows: dict[str, int] = {}
        requests = 0
        needs_reauth: list[str] = []
        started = time.monotonic()

        for athlete in athletes:
            requests_before = requests

            def progress(
                summary: dict[str, Any], athlete: str = athlete, base: int = requests_before
            ) -> None:
                nonlocal requests
                for table, count in _loaded_rows(pipeline).items():
                    rows[table] = rows.get(table, 0) + count
                requests = base + int(summary.get("requests", 0))
                done = "caught up" if not summary.get("resume") else "more to load"
                context.log.info(
                    "%s %s: chunk %d loaded, %s; rows so far %s, requests %d (%.0f s)",
                    provider.name,
                    athlete,
                    summary["runs"],
                    done,
                    rows,
                    requests,
                    time.monotonic() - started,
                )
                context.log_event(
                    dg.AssetObservation(
                        asset_key=specs[0].key,
                        metadata={
                            "athlete": athlete,
                            "chunks": summary["runs"],
                            "requests_so_far": requests,
                            **{f"rows_so_far/{t}": n for t, n in rows.items()},
                        },
                    )
                )

            try:
                summary = api.sync(pipeline, athlete, max_runs=max_runs, on_chunk=progress, **sync_kwargs)
            except Exception as exc:
                reauth = _reauth_cause(exc)
                if reauth is not None:  # visible in `openfit status` too; the other athletes still sync
                    context.log.warning("%s", reauth)
                    needs_reauth.append(athlete)
                    continue
                if context.retry_number < EXTRACT_MAX_RETRIES and is_transient(exc):
                    # chunks already loaded stay; the retry resumes from the saved state
                    raise dg.RetryRequested(
                        max_retries=EXTRACT_MAX_RETRIES, seconds_to_wait=retry_delay_s(context.retry_number)
                    ) from exc
                raise
            if summary.get("resume"):
                context.log.info(
                    "%s %s: stopped after %d chunks; the next run continues",
                    provider.name,
                    athlete,
                    summary.get("runs", 0),
                )

        common = {
            "athletes": len(athletes),
            "athletes_synced": dg.MetadataValue.json(athletes),
            "needs_reauth": dg.MetadataValue.json(needs_reauth),
            "requests": requests,
            "seconds": round(time.monotonic() - started, 3),
        }
        for spec in specs:
            table = spec.key.path[-1]
            yield dg.MaterializeResult(
                asset_key=spec.key, metadata={**common, "rows_loaded": rows.get(table, 0)}
            )

    return _sync


def other_extracts(provider: Provider) -> dg.AssetSelection:
    """Every raw-layer asset except this provider's: a provider's jobs rebuild downstream without them."""
    raw = dg.AssetSelection.groups("raw") | dg.AssetSelection.tag("openfit/layer", "raw")
    return raw - dg.AssetSelection.groups(provider_group(provider))


def provider_jobs(provider: Provider) -> tuple[list[Any], dg.ScheduleDefinition]:
    """The provider's scheduled sync (its assets, then dbt and publish) and its backfill job (no chunk cap)."""
    assert provider.api_sync is not None, provider.name
    selection = dg.AssetSelection.all() - other_extracts(provider)
    op_config = {"ops": {provider.raw_dataset: {"config": {"max_chunks": 0}}}}
    sync = dg.define_asset_job(
        sync_job_name(provider),
        selection=selection,
        description=f"Sync {provider.display_name} for every connected athlete, rebuild, publish.",
    )
    backfill = dg.define_asset_job(
        backfill_job_name(provider),
        selection=selection,
        config=op_config,
        description=(
            f"Load the whole {provider.display_name} history of every connected athlete (resumable; progress in "
            "the run log and as asset observations), then rebuild and publish."
        ),
    )
    schedule = dg.ScheduleDefinition(
        name=f"{provider.name}_schedule",
        job=sync,
        cron_schedule=provider.api_sync.schedule_cron(),
        execution_timezone=get_settings().schedule_timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
    return [sync, backfill], schedule
