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

# Command modules register themselves on `app` when imported; one line per module.
from openfit.cli import core_cmds  # noqa: E402,F401,I001  (first: build, status, sources, serve)
from openfit.cli import connect_cmds  # noqa: E402,F401
from openfit.cli import api_cmds  # noqa: E402,F401
from openfit.cli import import_cmds  # noqa: E402,F401
