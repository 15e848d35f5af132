"""`openfit config show | set`: the effective settings of this home and where each comes from."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli import app
from openfit.settings import (
    DBT_VAR_SETTINGS,
    SYNTHETIC_COHORT_SETTINGS,
    HomeFileError,
    Settings,
    current_home,
    display_value,
    get_settings,
    home_file_path,
    parse_setting,
    read_home_file,
    setting_origins,
    settings_hash,
    write_home_file,
)

config_app = typer.Typer(
    help="Show or change this home's settings ($OPENFIT_HOME/openfit.toml).", no_args_is_help=True
)
app.add_typer(config_app, name="config")

console = Console()


def _settings_or_exit() -> Settings:
    try:
        return get_settings()
    except HomeFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None


@config_app.command("show")
def show() -> None:
    """Every effective setting, its value and its origin (flag > env > .env > home file > default)."""
    settings = _settings_or_exit()
    origins = setting_origins(settings)
    table = Table(title=f"settings of {settings.home_dir} (hash {settings_hash(settings)})")
    for column in ("setting", "value", "origin"):
        table.add_column(column, overflow="fold")
    for name in Settings.model_fields:
        table.add_row(name, display_value(settings, name), origins[name])
    console.print(table)
    console.print(f"home file: {home_file_path(settings.home_dir)}", markup=False, highlight=False)


def consequence(name: str, enabled_after: bool) -> str:
    """What the next build recomputes after this setting changed."""
    if name == "synthetic_enabled":
        return (
            "the next build loads the synthetic cohort and rebuilds every table"
            if enabled_after
            else "the next build removes the synthetic cohort's rows from the warehouse and the snapshot"
        )
    if name in SYNTHETIC_COHORT_SETTINGS:
        return "the next build replaces the synthetic cohort's rows (a reload) and rebuilds every table"
    if name in DBT_VAR_SETTINGS or name == "daily_source_overrides":
        from orchestration.dbt import manifest_json
        from orchestration.incremental import models_rebuilt_for

        models = models_rebuilt_for({name}, manifest_json())
        if models is None:
            return "the next build rebuilds every dbt table (a full refresh)"
        return f"the next build rebuilds {', '.join(models)} (they read it); everything else stays"
    if name == "disabled_providers":
        return "the next runs leave these providers out (their data loaded so far stays)"
    return "takes effect at the next run (restart `openfit serve` for its servers and schedule)"


@config_app.command("set")
def set_(
    key: Annotated[str, typer.Argument(help="Setting name, e.g. synthetic_seed or algo.pmc ('.' = '_').")],
    value: Annotated[str, typer.Argument(help="New value; daily_source_overrides takes JSON.")],
) -> None:
    """Write one setting into this home's settings file (the environment and flags still override it)."""
    name = key.replace(".", "_").replace("-", "_").lower()
    home = current_home()
    try:
        stored = read_home_file(home)
    except HomeFileError as exc:
        typer.echo(f"error: {exc}; fix or delete that line first", err=True)
        raise typer.Exit(code=2) from None
    try:
        parsed = parse_setting(name, value)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    path = write_home_file(home, {**stored, name: parsed})
    get_settings.cache_clear()
    console.print(f"{name} = {value} written to {path}", markup=False, highlight=False)
    effective = get_settings()
    if setting_origins(effective)[name] != "home file":
        console.print(
            f"note: {name} is overridden by the {setting_origins(effective)[name]} "
            f"(effective value {display_value(effective, name)})",
            markup=False,
            highlight=False,
        )
    console.print(consequence(name, bool(effective.synthetic_enabled)))
