"""Normalize: the dbt project (staging -> intermediate -> openfit -> marts) as Dagster assets.

dbt tests become Dagster asset checks (dagster-dbt's default), so a failing test fails the step and the
publish step downstream does not run.
"""


from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from openfit.dbt import apply_dbt_env, dbt_executable, dbt_vars_arg, ensure_manifest
from openfit.instance import WRITER_POOL
from openfit.settings import DBT_PROJECT_DIR, get_settings

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class LayerTranslator(DagsterDbtTranslator):
    """Group dbt models by layer (their folder): staging, intermediate, openfit, marts."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "transform"


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=dbt_executable())


def build_dbt_assets() -> dg.AssetsDefinition:
    manifest = ensure_manifest()

    @dbt_assets(
        manifest=manifest,
        project=DBT_PROJECT,
        dagster_dbt_translator=LayerTranslator(),
        pool=WRITER_POOL,
        name="openfit_dbt",
    )
    def _assets(context: AssetExecutionContext, dbt: DbtCliResource):
        settings = get_settings()
        apply_dbt_env(settings)
        yield from dbt.cli(["build", *dbt_vars_arg(settings)], context=context).stream()

    return _assets
