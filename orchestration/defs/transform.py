"""Normalize: the dbt project (staging -> intermediate -> openfit -> marts) as Dagster assets.

Each run transforms only the dlt loads that arrived since the last one (orchestration/incremental.py decides;
the dbt models recompute the changed activities and metric windows); a full refresh rebuilds everything. dbt
runs in this process on the once-parsed project (orchestration/dbt.py); its results become Dagster events, and dbt
tests become Dagster asset checks (non-blocking: see LayerTranslator). A failing test fails the step, so the
publish step downstream does not run, unless every failing row belongs to some athletes: then those athletes are
withheld from the publish and the rest goes on (orchestration/withholding.py). A build with nothing new does not
run dbt at all (orchestration.incremental.nothing_to_transform).
"""

import dataclasses
import json
from collections.abc import Mapping
from graphlib import TopologicalSorter
from typing import Any

import dagster as dg
import duckdb
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from openfit.settings import DBT_PROJECT_DIR, get_settings
from orchestration.dbt import (
    build_fingerprint,
    dbt_executable,
    ensure_manifest,
    invoke_dbt,
    manifest_json,
    parsed_manifest,
)
from orchestration.incremental import (
    finish_transform,
    models_rebuilt_for,
    nothing_to_transform,
    plan_transform,
)
from orchestration.instance import WRITER_POOL
from orchestration.synthetic_cohort import remove_synthetic_if_disabled
from orchestration.withholding import attribute_failures

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# An incremental build runs the models and, by dbt's (eager) indirect selection, every data test on one of
# them, including those that compare a model with a seed (metrics -> metric_types). Seeds and their own tests
# change only with the project, and a project change forces a full build, which builds them. Views are left
# out too unless the raw layer's tables or columns changed.
INCREMENTAL_SELECT = ["--select", "resource_type:model"]
VIEWS = "config.materialized:view"
# dbt's unit tests check the models' SQL on fixed inputs, not the data: they run where the SQL changes (the test
# suite's `dbt build`, tests/transform), not in every build, as dbt's documentation recommends for production
# ("Unit tests", docs.getdbt.com: exclude them with --exclude-resource-type unit_test). 1-1.2 s of a build.
NO_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]
# The dbt layers the publish copies: it waits for their assets (orchestration/defs/__init__.py).
PUBLISHED_LAYERS = ("openfit", "marts")


def models_to_refresh(plan, settings) -> list[str] | None:
    """For an incremental plan whose settings (dbt vars) changed: the models to rebuild in full; empty when
    none changed; None when a full build is needed instead (orchestration.incremental.models_rebuilt_for)."""
    if plan.full or not plan.vars_changed:
        return []
    return models_rebuilt_for(set(plan.vars_changed), manifest_json(settings))


def _only_tests_failed(run) -> bool:
    """Whether a failed dbt run failed only data tests (rows that break a rule), nothing that errored."""
    return bool(run.failed_tests) and all(
        status in ("success", "pass", "skipped", "warn", "no-op") or unique_id in run.failed_tests
        for unique_id, status in run.statuses.items()
    )


def _invoke_all(runs: list[list[str]], settings):
    """The dbt invocations in order, stopping at the first failure other than failing data tests (those may
    withhold athletes instead, see _withhold_failing_athletes); their results merged as Dagster needs them from
    one multi-asset: each node once (its last result) and in the graph's order."""
    merged = None
    for args in runs:
        result = invoke_dbt([*args, *NO_UNIT_TESTS], settings)
        merged = result if merged is None else _merge(merged, result, settings)
        if not result.success and not _only_tests_failed(result):
            break
    return merged


def _merge(first, second, settings):
    """Two dbt runs as one: the later result of a node wins; a test that failed and later passed is cleared."""
    rank = _graph_order(parsed_manifest(settings))
    latest = {event["data"]["node_info"]["unique_id"]: event for event in first.events + second.events}
    events = sorted(
        latest.values(), key=lambda event: rank.get(event["data"]["node_info"]["unique_id"], len(rank))
    )
    statuses = {**first.statuses, **second.statuses}
    seconds = {
        k: first.seconds.get(k, 0.0) + second.seconds.get(k, 0.0) for k in {*first.seconds, *second.seconds}
    }
    failed_tests = {
        k: v for k, v in {**first.failed_tests, **second.failed_tests}.items() if statuses[k] == "fail"
    }
    success = all(run.success or _only_tests_failed(run) for run in (first, second)) and not any(
        status in ("error", "fail", "runtime error") for status in statuses.values()
    )
    return dataclasses.replace(
        second,
        success=success,
        events=events,
        statuses=statuses,
        failed_tests=failed_tests,
        failure=second.failure or first.failure,
        seconds=seconds,
    )


def _withhold_failing_athletes(run, settings, log, full_refresh: bool):
    """When only data tests failed and each failing row belongs to an athlete: build what the failures skipped
    (dbt build skips the children of a failed test) and return (run, withheld). Otherwise (run, None): a
    whole-warehouse failure."""
    for _ in range(3):  # a rerun can meet another failing test, whose children it skips in turn
        if not _only_tests_failed(run):
            return run, None
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            withheld = attribute_failures(con, run.failed_tests)
        if withheld is None:
            return run, None
        skipped = sorted(unique_id for unique_id, status in run.statuses.items() if status == "skipped")
        if not skipped:
            return run, withheld
        log.warning(
            "transform: %d test(s) failed for some athletes' rows; building the %d node(s) they skipped",
            len(run.failed_tests),
            len(skipped),
        )
        names = [unique_id.split(".")[2] for unique_id in skipped]  # <type>.<package>.<name>[.<hash>]
        refresh = (
            ["--full-refresh"] if full_refresh else []
        )  # as the run that skipped them would have built them
        run = _merge(run, invoke_dbt(["build", *refresh, "--select", *names], settings), settings)
    return run, None


def _graph_order(manifest) -> dict[str, int]:
    """unique_id -> position in a topological order of the dbt graph (parents before children)."""
    order: list[str] = []
    seen: set[str] = set()
    for root in sorted(manifest.child_map):
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif node not in seen:
                seen.add(node)
                stack.append((node, True))
                stack.extend(
                    (child, False) for child in manifest.child_map.get(node, []) if child not in seen
                )
    return {node: len(order) - i for i, node in enumerate(order)}


def _raw_table_of(source: Mapping[str, Any]) -> str:
    """A dbt source's raw table as the raw layout names it ("<schema>.<table>")."""
    return f"{source['schema']}.{source['identifier'] or source['name']}"


def _views_left_out(plan, settings) -> list[str]:
    """--exclude for the views an incremental build need not recreate: all of them when no raw table's layout
    changed, else the staging views that read none of the changed raw tables (a view's tests scan its source's
    whole history, which a format's first import should not pay for the other formats' views)."""
    if plan.changed_raw_tables is None:
        return []
    if not plan.changed_raw_tables:
        return ["--exclude", VIEWS]
    manifest = manifest_json(settings)
    changed = {
        unique_id
        for unique_id, source in manifest["sources"].items()
        if _raw_table_of(source) in plan.changed_raw_tables
    }
    unchanged = sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["config"].get("materialized") == "view"
        and node["fqn"][1] == "staging"
        and not changed & set(node["depends_on"]["nodes"])
    )
    return ["--exclude", *unchanged] if unchanged else []


def _tests_of_absent_sources(plan, settings) -> list[str]:
    """--exclude for the data tests of the staging views that read only raw tables absent from the raw layer
    (a provider never connected, a file format never imported). Such a view selects from optional_source's
    placeholder (`where false`): it has no rows, so its tests cannot fail, yet they were a quarter of a small
    home's full build (87 of 380 tests for a home with the synthetic cohort only). Their views are still
    created (the models downstream read them), and their tests run in the first build after the raw table
    appears (_views_left_out rebuilds those views with their tests)."""
    try:
        present = set(json.loads(plan.raw_layout or "{}"))
    except json.JSONDecodeError:
        return []
    manifest = manifest_json(settings)
    absent = {
        unique_id for unique_id, source in manifest["sources"].items() if _raw_table_of(source) not in present
    }
    empty = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and node["fqn"][1] == "staging"
        and node["depends_on"]["nodes"]
        and set(node["depends_on"]["nodes"]) <= absent
    }
    left_out = sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and node["depends_on"]["nodes"]
        and set(node["depends_on"]["nodes"]) <= empty
    )
    return ["--exclude", *left_out] if left_out else []


def _time_spent(seconds: Mapping[str, float]) -> str:
    """dbt's time by node type and the slowest nodes, for the log (the same is kept in openfit_state.build_nodes)."""
    by_type: dict[str, list[float]] = {}
    for unique_id, s in seconds.items():
        by_type.setdefault(unique_id.split(".", 1)[0], []).append(s)
    parts = [f"{len(v)} {k}s {sum(v):.1f} s" for k, v in sorted(by_type.items())]
    slowest = sorted(seconds.items(), key=lambda item: -item[1])[:5]
    return (
        "dbt ran "
        + ", ".join(parts)
        + "; slowest: "
        + ", ".join(f"{unique_id.split('.')[2]} {s:.1f} s" for unique_id, s in slowest)
    )


def _unchanged(context: AssetExecutionContext, rebuilt: set[str], note: str):
    """A MaterializeResult for every published table (openfit, marts) that this build's dbt run does not rebuild
    (`rebuilt`: model names), in dependency order as Dagster wants a multi-asset's outputs. The publish waits for
    all of them; without these it would be skipped whenever dbt runs only some models or none. Yielded before
    dbt's own events: no unchanged table is downstream of a rebuilt one."""
    deps = context.assets_def.asset_deps
    selected = context.selected_asset_keys
    order = TopologicalSorter({key: deps.get(key, set()) & selected for key in selected}).static_order()
    for key in order:
        if key.path[0] in PUBLISHED_LAYERS and key.path[-1] not in rebuilt:
            yield dg.MaterializeResult(asset_key=key, metadata={"transform": note})


def _nothing_new(context: AssetExecutionContext, plan, settings):
    """A build whose loads brought nothing to recompute: dbt is not run, the loads are marked transformed, and
    the published tables are reported unchanged, so that the publish still runs (it may have a previous
    transform to catch up on) and the operator sees the build in the Dagster UI."""
    with duckdb.connect(str(settings.warehouse_path)) as con:
        seq = finish_transform(con, plan, incremental_run=False)
    context.log.info(
        "transform: %d new load(s) with nothing to recompute; build %d recorded", plan.pending_loads, seq
    )
    yield from _unchanged(context, set(), f"unchanged (build {seq}: nothing new)")


class TransformConfig(dg.Config):
    full_refresh: bool = False  # rebuild every table from the raw layer (`openfit build --full`)


class LayerTranslator(DagsterDbtTranslator):
    """Group dbt models by layer (their folder): staging, intermediate, openfit, marts. dbt's tests are Dagster
    asset checks that do not block: the transform enforces them itself (a failing test fails its step, so nothing
    downstream runs, unless the failing rows name athletes, who are then withheld), and it reports only the tests
    it ran (an increment tests the rows it rewrote; an unchanged table keeps its last result). As blocking checks,
    Dagster would warn about each check not re-run, 136 times in a build with nothing new."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "transform"

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return dg.AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=spec.description,
            additional_deps=spec.additional_deps,
            metadata=spec.metadata,
            blocking=False,
        )


def dbt_resource() -> DbtCliResource:
    """For running dbt by hand from the Dagster UI's launchpad; the assets run dbt in-process."""
    return DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=dbt_executable())


def build_dbt_assets() -> dg.AssetsDefinition:
    manifest_path = ensure_manifest()
    translator = LayerTranslator()

    @dbt_assets(
        manifest=manifest_path,
        project=DBT_PROJECT,
        dagster_dbt_translator=translator,
        pool=WRITER_POOL,
        name="openfit_dbt",
    )
    def _assets(context: AssetExecutionContext, config: TransformConfig):
        settings = get_settings()
        with duckdb.connect(str(settings.warehouse_path)) as con:
            removed = remove_synthetic_if_disabled(con, settings)  # its loads vanish: a full rebuild follows
            if removed:
                context.log.info("synthetic: %s", removed)
            plan = plan_transform(
                con,
                build_fingerprint(settings),
                force_full=config.full_refresh,
                files_athlete_id=settings.files_athlete_id,
            )
            rebuilt = models_to_refresh(plan, settings)
            if (
                rebuilt is None
            ):  # a changed setting reaches the patched tables (or a macro): rebuild everything
                plan = plan_transform(
                    con,
                    build_fingerprint(settings),
                    force_full=True,
                    files_athlete_id=settings.files_athlete_id,
                    full_reason=f"changed setting(s) {', '.join(plan.vars_changed)} reach every table",
                )
            skip = nothing_to_transform(con, plan)
        if skip:
            yield from _nothing_new(context, dataclasses.replace(plan, reason="nothing new"), settings)
            return
        context.log.info(
            "transform: %s (%s); %d new load(s)",
            "full refresh" if plan.full else "incremental",
            plan.reason,
            plan.pending_loads,
        )
        runs = [["build", "--full-refresh", *_tests_of_absent_sources(plan, settings)]] if plan.full else []
        if rebuilt:  # the models that read a changed setting, and everything downstream of them, in full
            context.log.info(
                "transform: settings changed (%s): rebuilding %s",
                ", ".join(plan.vars_changed),
                ", ".join(rebuilt),
            )
            runs.append(["build", "--full-refresh", "--select", *rebuilt])
        incremental_run = not plan.full and bool(plan.pending_loads or not rebuilt)
        if rebuilt and not incremental_run:  # only the models that read the changed settings run
            yield from _unchanged(context, set(rebuilt), "unchanged (does not read the changed settings)")
        if incremental_run:
            runs.append(["build", *INCREMENTAL_SELECT, *_views_left_out(plan, settings)])
        run = _invoke_all(runs, settings)
        withheld = []
        if not run.success:
            run, withheld = _withhold_failing_athletes(run, settings, context.log, plan.full or bool(rebuilt))
        by_test = {}
        for item in withheld or []:
            by_test.setdefault(item.test, []).append(item.athlete_id)
        manifest = ensure_manifest(settings)
        for raw in run.events:
            event = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
            athletes = by_test.get(raw["data"]["node_info"]["unique_id"])
            for dagster_event in event.to_default_asset_events(
                manifest=manifest, dagster_dbt_translator=translator, context=context
            ):
                if athletes and isinstance(dagster_event, dg.AssetCheckResult):
                    # WARN: dagster-dbt makes a failing test an ERROR, which would block the publish for everyone
                    dagster_event = dagster_event._replace(
                        severity=dg.AssetCheckSeverity.WARN,
                        metadata={
                            **dagster_event.metadata,
                            "withheld_athletes": dg.MetadataValue.json(sorted(athletes)),
                        },
                    )
                yield dagster_event
        if withheld is None:
            raise dg.Failure(description=run.failure)
        if withheld:
            context.log.warning(
                "transform: withheld from the publish (failing tests): %s",
                "; ".join(f"{w.athlete_id}: {w.test} ({w.failing_rows} rows)" for w in withheld),
            )
        with duckdb.connect(str(settings.warehouse_path)) as con:
            seq = finish_transform(con, plan, withheld, run.seconds, bool(rebuilt), incremental_run)
        context.log.info("transform: build %d recorded; %s", seq, _time_spent(run.seconds))

    return _assets
