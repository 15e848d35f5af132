"""`openfit sql`: the researchers' door to the data, the DuckDB CLI (or Harlequin) on the published snapshot.

It opens the snapshot read-only, never the warehouse: the writer holds the warehouse's lock while it builds, and
a reader there would either fail or block a build. The CLI is the `duckdb-cli` package's binary, locked at the
same version as the `duckdb` module, so it reads the storage format the publisher wrote.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from cli import app
from openfit.settings import get_settings

# `select * from activities` finds openfit.activities; marts and meta (build_info) next. The snapshot stores
# times in UTC, and casting a TIMESTAMPTZ to DATE must not depend on the machine's zone (as in attach_snapshot).
SESSION_SETUP = "SET search_path = 'openfit,marts,meta'; SET TimeZone = 'UTC';"


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


# The DuckDB CLI's output mode per format (parquet is written by COPY, not by an output mode).
CLI_MODE_FLAGS = {OutputFormat.table: "-box", OutputFormat.csv: "-csv", OutputFormat.json: "-json"}


def duckdb_cli_binary() -> Path:
    """The DuckDB CLI shipped inside the `duckdb-cli` wheel (not whatever `duckdb` is first on PATH, whose
    version may not read this storage format)."""
    import duckdb_cli

    binary = Path(duckdb_cli.__file__).parent / ("duckdb.exe" if sys.platform == "win32" else "duckdb")
    if not binary.is_file():
        raise FileNotFoundError(f"the duckdb-cli package has no binary at {binary}: reinstall it (uv sync)")
    return binary


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def duckdb_cli_command(
    snapshot: Path,
    query: str | None = None,
    fmt: OutputFormat = OutputFormat.table,
    output: Path | None = None,
) -> list[str]:
    """The DuckDB CLI's arguments: the snapshot read-only, the session setup, then the query if any."""
    command = [str(duckdb_cli_binary()), "-readonly", str(snapshot), "-cmd", SESSION_SETUP]
    if query is None:
        return command
    if fmt is OutputFormat.parquet:
        # COPY takes one SELECT; a trailing semicolon would end it early.
        select = query.strip().rstrip(";")
        return [*command, "-c", f"COPY ({select}) TO {_sql_literal(str(output))} (FORMAT parquet)"]
    # -box shows every row (no 40-row elision), -csv/-json are whole results with a header / as an array.
    return [*command, CLI_MODE_FLAGS[fmt], "-c", query]


def harlequin_command(snapshot: Path, init_script: Path) -> list[str] | None:
    """Harlequin on the snapshot read-only with the same session setup, or None when it is not installed."""
    candidate = Path(sys.executable).parent / "harlequin"
    executable = str(candidate) if candidate.exists() else shutil.which("harlequin")
    if executable is None:
        return None
    return [executable, "--adapter", "duckdb", "--read-only", "--init-path", str(init_script), str(snapshot)]


@app.command()
def sql(
    command: Annotated[
        str | None, typer.Option("--command", "-c", help="Run this SQL, print the result and exit.")
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="Result format for -c (parquet needs --output).")
    ] = OutputFormat.table,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the -c result to this file instead of stdout."),
    ] = None,
    ide: Annotated[
        bool, typer.Option("--ide", help="Open Harlequin (the 'ide' extra) instead of the CLI.")
    ] = False,
) -> None:
    """Open the published snapshot read-only in the DuckDB CLI: `select * from activities` just works.

    Tables of the openfit, marts and meta schemas need no schema prefix. A build never changes the file you
    have open (it swaps a new one in): reopen to see new data. Write statements are refused.
    """
    settings = get_settings()
    snapshot = settings.snapshot_path
    if not snapshot.exists():
        typer.echo(f"error: no snapshot at {snapshot}: run `openfit build` (or `make demo`) first", err=True)
        raise typer.Exit(code=1)
    if command is None and (output is not None or fmt is not OutputFormat.table):
        typer.echo("error: --format and --output apply to a query given with -c", err=True)
        raise typer.Exit(code=2)
    if fmt is OutputFormat.parquet and output is None:
        typer.echo("error: --format parquet needs --output FILE (Parquet is binary)", err=True)
        raise typer.Exit(code=2)

    if ide:
        if command is not None:
            typer.echo("error: --ide is interactive; drop -c", err=True)
            raise typer.Exit(code=2)
        raise typer.Exit(code=_run_harlequin(settings, snapshot))

    cli = duckdb_cli_command(snapshot, command, fmt, output)
    if command is None:
        _become(cli)
    if output is None or fmt is OutputFormat.parquet:
        # The child inherits our stdin/stdout (scripts, pipes).
        raise typer.Exit(code=subprocess.call(cli))
    with output.open("wb") as sink:
        raise typer.Exit(code=subprocess.call(cli, stdout=sink))


def _become(command: list[str]) -> NoReturn:
    """Replace this process by the interactive program. As a child under us, a Ctrl-C (which the DuckDB CLI
    uses to cancel a query) would also interrupt us, and we would kill the session."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)


def _run_harlequin(settings, snapshot: Path) -> int:
    """Returns only when Harlequin is not installed (1); otherwise this process becomes Harlequin."""
    # Harlequin runs its init script on connect: the same session setup as the CLI. It lives in the home, not
    # in serving/, which only the publisher writes.
    init_script = settings.home_dir / "harlequin_init.sql"
    command = harlequin_command(snapshot, init_script)
    if command is None:
        typer.echo(
            "Harlequin is not installed. Install the optional 'ide' extra (`uv sync --extra ide --no-group sqllint`), "
            "or use `openfit sql` for the DuckDB CLI.",
            err=True,
        )
        return 1
    init_script.write_text(SESSION_SETUP + "\n")
    _become(command)
