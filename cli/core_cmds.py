"""`openfit build | status | sources | serve`: the spine's commands."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli import app
from openfit.settings import REPO_ROOT, get_settings, set_command_line
from orchestration.data_docs import docs_dir

console = Console()
err = Console(stderr=True)


def _human_age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


@app.command()
def build(
    athletes: Annotated[int | None, typer.Option(help="Synthetic cohort: number of athletes.")] = None,
    days: Annotated[int | None, typer.Option(help="Synthetic cohort: number of days.")] = None,
    seed: Annotated[int | None, typer.Option(help="Synthetic cohort: random seed.")] = None,
    end_date: Annotated[str | None, typer.Option(help="Synthetic cohort: last day (YYYY-MM-DD).")] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Rebuild every table from the raw layer instead of only what changed."),
    ] = False,
    label: Annotated[
        str, typer.Option(hidden=True, help="What the dashboards call this build.")
    ] = "openfit build",
) -> None:
    """Extract every configured source, rebuild the OpenFit schema and publish the snapshot (via Dagster)."""
    # Flags beat the environment and the home file; the build records them in the home file (run_build).
    set_command_line(
        synthetic_athletes=athletes,
        synthetic_days=days,
        synthetic_seed=seed,
        synthetic_end_date=None if end_date is None else date.fromisoformat(end_date),
    )
    from pydantic import ValidationError

    from openfit.settings import HomeFileError
    from orchestration.build import run_build
    from query.snapshot import snapshot_summary

    try:
        settings = get_settings()
    except (HomeFileError, ValidationError) as exc:  # a flag out of range, or a broken home file
        err.print(f"[red]build failed[/red]: {exc}")
        raise typer.Exit(code=2) from None
    console.print(f"[bold]OpenFit build[/bold] into {settings.home_dir}")
    with console.status("starting Dagster…") as status:
        try:
            report = run_build(
                settings,
                on_progress=lambda stage, msg: status.update(f"[{stage}] {msg}"),
                full=full,
                label=label,
            )
        except Exception as exc:  # a broken code location or settings: one line, not a traceback
            err.print(f"[red]build failed[/red]: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}")
            raise typer.Exit(code=1) from None
    if not report.success:
        err.print(f"[red]build failed[/red]: {report.failure}")
        err.print(f"The previous snapshot (if any) is still published at {settings.snapshot_path}.")
        raise typer.Exit(code=1)

    summary = snapshot_summary(settings)
    table = Table(title="OpenFit snapshot", show_lines=False)
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in summary["row_counts"].items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    stages = Table(title="time per stage")
    stages.add_column("stage")
    stages.add_column("seconds", justify="right")
    for stage, seconds in report.seconds_by_stage.items():
        stages.add_row(stage, f"{seconds:.1f}")
    stages.add_row("[bold]total[/bold]", f"{report.seconds_total:.1f}")
    console.print(stages)
    console.print(f"[green]published[/green] {summary['path']} (run {report.run_id[:8]})")


@app.command()
def status() -> None:
    """Snapshot path and age, last run, row counts and freshness per source."""
    from query.snapshot import SnapshotMissing, snapshot_summary

    settings = get_settings()
    try:
        summary = snapshot_summary(settings)
    except SnapshotMissing as exc:
        err.print(f"[yellow]{exc}[/yellow]")
        raise typer.Exit(code=1) from None
    console.print(f"[bold]snapshot[/bold] {summary['path']}")
    console.print(
        f"built {summary['built_at']:%Y-%m-%d %H:%M:%S %Z} ({_human_age(summary['age_s'])} ago), "
        f"run {summary['run_id'][:8]}, status {summary['status']}"
    )
    _print_settings_hash(settings, summary.get("settings_hash"))
    _print_withheld(summary["withheld"])
    _print_last_run(settings)
    rows = Table(title="rows per table")
    rows.add_column("table")
    rows.add_column("rows", justify="right")
    for name, count in summary["row_counts"].items():
        rows.add_row(name, f"{count:,}")
    console.print(rows)
    fresh = Table(title="freshness per source")
    for col in ("source", "table", "rows", "newest record"):
        fresh.add_column(col)
    for item in summary["freshness"]:
        newest = item["newest_record"]
        fresh.add_row(item["source"], item["table"], f"{item['rows']:,}", str(newest) if newest else "—")
    console.print(fresh)
    from query.file_imports import format_report, quarantine_report

    for line in format_report(quarantine_report(settings)):
        console.print(line, markup=False, highlight=False)
    _print_connections()


def _print_withheld(withheld: list[dict]) -> None:
    """Athletes whose new data a failing blocking test keeps out of the snapshot, and the tests that named them."""
    if not withheld:
        return
    table = Table(title="[red]withheld from this snapshot[/red] (their rows are as last published)")
    for col in ("athlete", "failing test", "failing rows"):
        table.add_column(col)
    for item in withheld:
        table.add_row(item["athlete_id"], item["test"], f"{item['failing_rows']:,}")
    console.print(table)


def _print_settings_hash(settings, published_hash: str | None) -> None:
    """Which settings the published numbers were built with, and whether this home's settings still match."""
    from openfit.settings import settings_hash

    current = settings_hash(settings)
    if published_hash is None:
        console.print("settings hash: not recorded in this snapshot (built before settings were recorded)")
    elif published_hash == current:
        console.print(f"settings hash {published_hash} (= this home's settings; `openfit config show`)")
    else:
        console.print(
            f"settings hash {published_hash} [yellow]differs from this home's settings ({current})[/yellow]: "
            "the next build applies them (`openfit config show`)"
        )


def _print_connections() -> None:
    """Provider connections, so an expired or revoked grant is visible instead of failing silently."""
    from ingestion.auth import connection_statuses

    statuses = connection_statuses()
    if not statuses:
        return
    table = Table(title="provider connections")
    for col in ("provider", "athlete", "status", "detail"):
        table.add_column(col)
    for item in statuses:
        style = "red" if item.status == "needs_reauth" else None
        table.add_row(item.provider, item.athlete or "—", item.status, item.reason or "", style=style)
    console.print(table)


def _print_last_run(settings) -> None:
    """The newest Dagster run of this home (CLI builds and UI runs alike)."""
    from orchestration.instance import prepare_instance

    prepare_instance(settings)
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        runs = instance.get_run_records(limit=1)
        if runs:
            run = runs[0]
            end = run.end_time or run.create_timestamp.timestamp()
            console.print(
                f"last run {run.dagster_run.run_id[:8]} ({run.dagster_run.job_name}): "
                f"{run.dagster_run.status.value.lower()}, {_human_age(time.time() - end)} ago"
            )


@app.command()
def sources() -> None:
    """List the registered providers, their capabilities and whether they are configured."""
    from ingestion.auth import connection_statuses
    from ingestion.registry import discover

    needs_reauth = {s.provider for s in connection_statuses() if s.status == "needs_reauth"}
    table = Table(title="sources")
    for col in ("name", "display name", "kind", "capabilities", "status"):
        table.add_column(col)
    for provider in discover().values():
        if provider.name in needs_reauth:
            state = "[red]needs re-auth[/red] (openfit connect " + provider.name + ")"
        elif provider.is_configured():
            state = "configured"
        else:
            state = "available (not configured)"
        table.add_row(
            provider.name,
            provider.display_name,
            provider.kind,
            ", ".join(provider.capabilities.names()),
            state,
        )
    console.print(table)


def _spawn(cmd: list[str], env: dict[str, str], log: Path | None = None) -> subprocess.Popen:
    # A new session: the child gets its own process group, so we can stop it and all its children, and it
    # does not ignore our signals (dagster dev does when started from a script; see stack-facts).
    if log is None:
        return subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, start_new_session=True)
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, start_new_session=True, stdout=out, stderr=out)


def serve_commands(settings) -> dict[str, list[str]]:
    """Every long-running reader/UI that `openfit serve` starts, by name."""
    bin_dir = Path(sys.executable).parent
    return {
        "dagster": [
            str(bin_dir / "dagster"),
            "dev",
            "-w",
            str(REPO_ROOT / "workspace.yaml"),
            "-h",
            "127.0.0.1",
            "-p",
            str(settings.dagster_port),
        ],
        "api": [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(settings.api_port),
            "--no-access-log",
        ],
        "dashboards": [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(REPO_ROOT / "dashboards" / "streamlit_app.py"),
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(settings.dashboard_port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        # Static files: the site is regenerated into a new folder after each publish and serving/docs is
        # switched to it, so the server always reads the newest one.
        "docs": [
            sys.executable,
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            "--directory",
            str(docs_dir(settings)),
            str(settings.docs_port),
        ],
        # Provider push notifications (ingestion/webhooks): verifies and queues; Dagster's sensor syncs.
        "webhooks": [
            sys.executable,
            "-m",
            "uvicorn",
            "ingestion.webhooks.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(settings.webhook_port),
            "--no-access-log",
        ],
    }


@app.command()
def serve() -> None:
    """Start the Dagster UI, the API (+ MCP), the dashboards, the data docs and the webhook receiver on 127.0.0.1
    until Ctrl-C."""
    _serve(get_settings())


# The demo's first snapshot: a few weeks of the cohort, published in well under a minute; the rest of the
# history is added by an incremental build in the background while everything is already served.
DEMO_FIRST_DAYS = 42


@app.command()
def demo(
    first_days: Annotated[
        int, typer.Option(min=7, help="Days in the first, quick snapshot.")
    ] = DEMO_FIRST_DAYS,
) -> None:
    """Publish a small synthetic cohort quickly, serve it, and extend it to the full history in the background.

    On a home that already has a snapshot, nothing waits: the servers start and one incremental build adds
    whatever is new. Ctrl-C stops everything (an unfinished background build leaves the last snapshot).
    """
    settings = get_settings()
    full_days = settings.synthetic_days
    build_cmd = [sys.executable, "-m", "openfit", "build"]
    if not settings.snapshot_path.exists():
        quick = min(first_days, full_days)
        console.print(
            f"[bold]demo[/bold]: first snapshot with {quick} days, then the full {full_days} in the background"
        )
        first = [*build_cmd, "--days", str(quick), "--label", f"demo: first snapshot ({quick} days)"]
        if subprocess.run(first, cwd=REPO_ROOT).returncode != 0:
            raise typer.Exit(code=1)
    from api.keys import KeyStore

    plaintext, _record = KeyStore.for_home(settings.home_dir).create(None, name="demo")  # as `apikey create`
    console.print("Demo API key (all athletes; use it as 'Authorization: Bearer <key>'):")
    print(plaintext, flush=True)  # alone on its line, never wrapped
    background = [
        *build_cmd,
        "--days",
        str(full_days),
        "--label",
        f"demo: extending the history to {full_days} days",
    ]
    _serve(settings, background={"history": background})


def _serve(settings, background: dict[str, list[str]] | None = None) -> None:
    """Run the readers and UIs until Ctrl-C; `background` commands (builds) run beside them and may end."""
    from orchestration.instance import prepare_instance

    prepare_instance(settings)
    # The children (the Dagster daemon and its runs among them) find this home, and so its settings file, even
    # when OPENFIT_HOME was not set (the default ./data is relative to our cwd, not theirs).
    env = {**os.environ, "OPENFIT_HOME": str(settings.home_dir)}
    children: dict[str, subprocess.Popen] = {}
    for name, cmd in serve_commands(settings).items():
        children[name] = _spawn(cmd, env)
    console.print(f"Dagster UI  http://127.0.0.1:{settings.dagster_port}")
    console.print(f"API         http://127.0.0.1:{settings.api_port}/docs  (MCP at /mcp)")
    console.print(f"Dashboards  http://127.0.0.1:{settings.dashboard_port}")
    console.print(f"Data docs   http://127.0.0.1:{settings.docs_port}  (columns, descriptions, lineage)")
    console.print(
        f"Webhooks    http://127.0.0.1:{settings.webhook_port}/webhooks/<provider>  (`openfit webhooks`)"
    )
    if not docs_dir(settings).exists():  # a home built before the data docs existed, or not built yet
        console.print("            (none generated yet: the next `openfit build` generates them)")
    console.print("Ctrl-C stops everything.")
    helpers = {}
    for name, cmd in (background or {}).items():
        log = settings.home_dir / f"{name}-build.log"
        helpers[name] = _spawn(cmd, env, log)
        console.print(
            f"background {name} build started (progress in the dashboards' sidebar and the Dagster UI; log {log})"
        )

    stopping = False

    def _stop(*_args) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping:
            for name, proc in children.items():
                if proc.poll() is not None:
                    err.print(f"[red]{name} exited with code {proc.returncode}[/red]; stopping the rest")
                    stopping = True
            for name, proc in list(helpers.items()):
                if proc.poll() is not None:
                    done = (
                        "[green]done[/green]"
                        if proc.returncode == 0
                        else f"[red]failed ({proc.returncode})[/red]"
                    )
                    console.print(f"background {name} build {done}; still serving")
                    del helpers[name]
            time.sleep(0.5)
    finally:
        _stop_all({**children, **helpers})
    raise typer.Exit(code=0)


def _stop_all(children: dict[str, subprocess.Popen], grace_s: float = 10.0) -> None:
    for proc in children.values():
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it exited meanwhile
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for proc in children.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
