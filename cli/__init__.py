"""The `openfit` command line. Each command group lives in its own module and registers on `app`."""

from __future__ import annotations

import typer

import openfit  # noqa: F401  (switches telemetry off before any tool is imported)

app = typer.Typer(
    name="openfit",
    help="OpenFit: one truthful fitness history, self-hosted.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _every_command(ctx: typer.Context) -> None:
    """Each command starts from its own flags, and none starts on a malformed home file (nothing is built from
    half a config); `openfit config` still runs, to show or repair the file."""
    from openfit.settings import HomeFileError, get_settings, set_command_line

    set_command_line()
    if ctx.invoked_subcommand == "config":
        return
    try:
        get_settings()
    except HomeFileError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None


# Command modules register themselves on `app` when imported; one line per module.
from cli import core_cmds  # noqa: E402,F401,I001  (first: build, status, sources, serve)
from cli import connect_cmds  # noqa: E402,F401
from cli import api_cmds  # noqa: E402,F401
from cli import import_cmds  # noqa: E402,F401
from cli import config_cmds  # noqa: E402,F401
from cli import sql_cmds  # noqa: E402,F401
from cli import webhook_cmds  # noqa: E402,F401
