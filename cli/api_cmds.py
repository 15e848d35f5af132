"""`openfit apikey create|list|revoke` and `openfit mcp` (the MCP server over stdio)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli import app
from openfit.settings import get_settings

console = Console()
err = Console(stderr=True)

apikey_app = typer.Typer(
    help="API keys for the REST API and /mcp (only a hash is stored).", no_args_is_help=True
)
app.add_typer(apikey_app, name="apikey")


def _known_athletes() -> set[str] | None:
    """Athlete ids in the published snapshot, or None if there is no snapshot yet."""
    from query import reads
    from query.errors import NotBuiltYet
    from query.snapshot import SnapshotUnavailable, reader_for

    try:
        with reader_for(get_settings().snapshot_path).cursor() as cur:
            return {a.athlete_id for a in reads.list_athletes(cur, _everyone())}
    except (SnapshotUnavailable, NotBuiltYet):
        return None


def _everyone():
    from query.scope import AthleteScope

    return AthleteScope.everyone()


@apikey_app.command("create")
def apikey_create(
    athlete: Annotated[
        list[str] | None, typer.Option("--athlete", help="athlete id the key may read (repeatable)")
    ] = None,
    all_athletes: Annotated[
        bool, typer.Option("--all-athletes", help="an admin key that reads every athlete")
    ] = False,
    name: Annotated[str, typer.Option(help="a label to recognise the key by")] = "",
) -> None:
    """Create a key and print it once. Only its hash is stored (in $OPENFIT_HOME/api_keys.json)."""
    from api.keys import KeyStore

    if bool(athlete) == all_athletes:
        err.print("[red]give either --athlete ID (one or more) or --all-athletes[/red]")
        raise typer.Exit(code=2)
    if athlete:
        known = _known_athletes()
        if known is not None and (missing := sorted(set(athlete) - known)):
            err.print(f"[red]not in the published snapshot: {', '.join(missing)}[/red]")
            raise typer.Exit(code=2)
    settings = get_settings()
    plaintext, record = KeyStore.for_home(settings.home_dir).create(
        None if all_athletes else list(athlete or []), name=name
    )
    err.print(
        f"key id {record.key_id} for {'all athletes' if all_athletes else ', '.join(record.athlete_ids or [])}"
        " — shown once, store it now:"
    )
    # The key alone on stdout, so `KEY=$(openfit apikey create ...)` works.
    print(plaintext)


@apikey_app.command("list")
def apikey_list() -> None:
    """List keys (ids, labels, athletes, created/revoked; never the key or its hash)."""
    from api.keys import KeyStore

    keys = KeyStore.for_home(get_settings().home_dir).list()
    table = Table("key id", "name", "athletes", "created", "revoked")
    for key in keys:
        info = key.public()
        athletes = info["athletes"] if isinstance(info["athletes"], str) else ", ".join(info["athletes"])
        table.add_row(info["key_id"], info["name"], athletes, info["created_at"], info["revoked_at"] or "")
    console.print(table if keys else "no API keys yet: openfit apikey create --athlete ID")


@apikey_app.command("revoke")
def apikey_revoke(
    key_id: Annotated[str, typer.Argument(help="the key id from `openfit apikey list`")],
) -> None:
    """Revoke a key: it stops working at once (the API re-reads the key file when it changes)."""
    from api.keys import ApiKeyError, KeyStore

    try:
        KeyStore.for_home(get_settings().home_dir).revoke(key_id)
    except ApiKeyError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from exc
    console.print(f"revoked {key_id}")


@app.command("mcp")
def mcp_stdio(
    athlete: Annotated[
        list[str] | None, typer.Option("--athlete", help="limit to these athletes (repeatable)")
    ] = None,
) -> None:
    """Run the read-only MCP server over stdio (for Claude Desktop and other MCP clients)."""
    from api.mcp.server import stdio_server

    # stdout belongs to the protocol: nothing else may print there.
    stdio_server(athlete or None).run("stdio")
