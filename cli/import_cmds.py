"""`openfit import PATH...`: load FIT/GPX/TCX files, folders and export archives, then rebuild the snapshot."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from cli import app
from openfit.settings import get_settings

console = Console()
err = Console(stderr=True)

EXIT_OK = 0
EXIT_RUN_FAILED = 1
EXIT_USAGE = 2  # click's own code for usage errors (a missing argument)
EXIT_SOME_QUARANTINED = 3

IMPORT_HELP = """Import FIT, GPX and TCX files (also .gz), folders (recursive), Garmin Connect "export all data"
zips and Strava bulk-export zips, then rebuild and publish the snapshot (unless --no-build).

Every original is kept once in the blob store (by sha256); importing the same file again is reported as
"duplicate" and changes nothing. A corrupt file is salvaged ("partial") or quarantined with its reason;
it never stops the batch.

The import is a Dagster run like every write (job import_inbox with these paths, or import_files_raw_only with
--no-build; it shows in the Dagster UI): it takes the one writer slot, so it waits while another run writes.

Exit status: 0 every file imported, partial or duplicate; 3 some files quarantined (the rest is loaded);
2 usage error (no path, or an empty path); 1 the run failed: a path does not exist or the import step failed
(nothing loaded), or the build after the
import failed (the files stay imported; run `openfit build` again).
"""


class _RateColumns:
    """files/s, MB/s, records/s from the importer's progress callback, shown in the bar's description."""

    def __init__(self, progress: Progress, task: TaskID) -> None:
        self.progress, self.task = progress, task

    def __call__(self, update) -> None:  # ImportProgress
        elapsed = max(update.elapsed_s, 1e-6)
        self.progress.update(
            self.task,
            completed=update.files_done,
            total=update.files_total,
            rates=(
                f"{update.files_done / elapsed:6.1f} files/s  {update.bytes_done / 1e6 / elapsed:6.2f} MB/s  "
                f"{update.records_done / elapsed:9,.0f} records/s"
            ),
        )


def _summary_table(summary) -> Table:
    table = Table(title="file import")
    table.add_column("status")
    table.add_column("files", justify="right")
    for label, count in (
        ("imported", summary.imported),
        ("partial", summary.partial),
        ("duplicate", summary.duplicate),
        ("quarantined", summary.quarantined),
        ("skipped (not fitness files)", summary.skipped),
    ):
        table.add_row(label, f"{count:,}")
    table.add_row("[bold]records[/bold]", f"{summary.records:,}")
    return table


@app.command("import", help=IMPORT_HELP)
def import_(
    # Strings, not Paths: Path("") is Path("."), so an empty argument would silently import the current folder.
    paths: Annotated[list[str], typer.Argument(help="Files, folders or archives to import.")],
    build: Annotated[
        bool, typer.Option("--build/--no-build", help="Rebuild and publish the snapshot after the import.")
    ] = True,
    workers: Annotated[int | None, typer.Option(help="Decoder processes (default: one per core).")] = None,
    timeout_s: Annotated[float, typer.Option(help="Per-file decode time limit, seconds.")] = 60.0,
    memory_limit_mb: Annotated[int, typer.Option(help="Per-file decoder memory limit, MB.")] = 2048,
) -> None:
    if any(not p.strip() for p in paths):
        err.print(
            "[red]usage error[/red]: an empty path names no file or folder "
            "(to import the current folder, pass '.')"
        )
        raise typer.Exit(code=EXIT_USAGE)
    inputs = [Path(p) for p in paths]
    missing = [str(p) for p in inputs if not p.exists()]
    if missing:
        err.print(f"[red]import failed[/red]: no such file or folder: {', '.join(missing)}")
        raise typer.Exit(code=EXIT_RUN_FAILED)
    from orchestration.build import run_build
    from orchestration.defs import REFRESH_JOB
    from orchestration.defs.files import INBOX_JOB, RAW_FILES_JOB, ImportHandoff, import_handoff

    settings = get_settings()
    console.print(f"[bold]OpenFit import[/bold] into {settings.home_dir}")
    # Through Dagster like every write: the raw_files asset with these paths, then (unless --no-build) the
    # transform, which recomputes only what the new files change, and the publish. A home never built before
    # gets the whole job (its other sources' raw layer does not exist yet, and the dbt project reads it).
    job_name = RAW_FILES_JOB if not build else INBOX_JOB if settings.snapshot_path.exists() else REFRESH_JOB
    # absolute, not resolved: the import log keeps the names as the user gave them (symlinks included)
    config = {
        "paths": [str(p.absolute()) for p in inputs],
        "workers": workers,
        "timeout_s": timeout_s,
        "memory_limit_mb": memory_limit_mb,
    }
    progress = Progress(
        TextColumn("[bold]decoding[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rates]}"),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    with progress:
        task = progress.add_task("files", total=None, rates="")
        handoff = ImportHandoff(progress=_RateColumns(progress, task))
        token = import_handoff.set(handoff)
        try:
            report = run_build(
                settings,
                job_name=job_name,
                op_config={"raw_files": config},
                label="openfit import",
                on_progress=lambda stage, msg: (
                    progress.update(task, rates=f"[{stage}] {msg}") if stage != "ingest" else None
                ),
            )
        except Exception as exc:  # a broken code location or home: one line, not a traceback
            first = (str(exc).strip().splitlines() or [""])[0]
            err.print(f"[red]import failed[/red]: {type(exc).__name__}: {first}")
            raise typer.Exit(code=EXIT_RUN_FAILED) from None
        finally:
            import_handoff.reset(token)
        summary = handoff.summary
        if summary is not None:
            files = len(summary.outcomes)  # duplicates are not decoded, so no callback reports them
            progress.update(task, completed=files, total=files)
    if summary is None:  # the import step itself failed (a locked warehouse, an unwritable home)
        err.print(f"[red]import failed[/red]: {report.failure}")
        raise typer.Exit(code=EXIT_RUN_FAILED)

    if summary.finished_packages:
        console.print(
            f"finished an interrupted import first: {summary.finished_packages} pending load package(s) loaded"
        )
    console.print(_summary_table(summary))
    reasons = summary.top_reasons()
    if reasons:
        console.print("[bold]top reasons[/bold] (quarantined or partial):")
        for reason, count in reasons:
            console.print(f"  {count:>5} x {reason}")
    megabytes = summary.bytes / 1e6
    console.print(f"{megabytes:,.1f} MB decoded in {summary.elapsed_s:.1f} s")

    if not report.success:
        err.print(f"[red]build failed[/red]: {report.failure}")
        err.print("The files are imported; run `openfit build` again once the cause is fixed.")
        raise typer.Exit(code=EXIT_RUN_FAILED)
    if build:
        console.print(f"[green]published[/green] {settings.snapshot_path} (run {report.run_id[:8]})")
    else:
        console.print(
            "Run [bold]openfit build[/bold] to normalize the imported files and publish the snapshot."
        )
    raise typer.Exit(code=summary.exit_code)
