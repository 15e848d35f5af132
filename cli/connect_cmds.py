"""`openfit connect | disconnect | connections`: OAuth2 connections to provider APIs (Strava, Oura, ...)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli import app

console = Console()
err = Console(stderr=True)

DEFAULT_CALLBACK_PORT = 8477  # register http://127.0.0.1:8477/callback as the redirect URI at the provider


@app.command()
def connect(
    provider: Annotated[str, typer.Argument(help="Provider name, e.g. strava or oura.")],
    athlete: Annotated[
        str, typer.Option("--athlete", help="OpenFit athlete the connection belongs to.")
    ] = "me",
    port: Annotated[
        int, typer.Option(help="Loopback port of the OAuth callback (0 = any free port).")
    ] = DEFAULT_CALLBACK_PORT,
    browser: Annotated[
        bool, typer.Option("--browser/--no-browser", help="Open the authorisation page.")
    ] = True,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the authorisation.")] = 300.0,
) -> None:
    """Authorise OpenFit to read your data at PROVIDER (OAuth2 authorization code; tokens stored encrypted)."""
    from ingestion.auth.errors import AuthError
    from ingestion.auth.loopback import connect as run_connect
    from ingestion.auth.providers import oauth_config_for
    from ingestion.auth.tokens import TokenStore
    from ingestion.registry import RegistryError

    try:
        config = oauth_config_for(provider)
        facts = run_connect(
            config,
            TokenStore.from_settings(),
            athlete,
            port=port,
            timeout=timeout,
            open_browser=browser,
            show_url=lambda url: console.print(
                f"Open this URL to authorise OpenFit at {provider}:\n{url}", soft_wrap=True
            ),
        )
    except (AuthError, RegistryError, ValueError, OSError) as exc:
        err.print(f"[red]connect failed:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print(
        f"[green]connected[/green] {provider} for athlete {facts['athlete']} (scope: {facts['scope'] or 'n/a'})"
    )


@app.command()
def disconnect(
    provider: Annotated[str, typer.Argument(help="Provider name, e.g. strava or oura.")],
    athlete: Annotated[
        str, typer.Option("--athlete", help="OpenFit athlete the connection belongs to.")
    ] = "me",
) -> None:
    """Revoke OpenFit's access at PROVIDER (where it allows) and delete the local tokens."""
    from ingestion.auth.errors import AuthError
    from ingestion.auth.oauth import TokenManager
    from ingestion.auth.providers import oauth_config_for
    from ingestion.auth.tokens import TokenStore
    from ingestion.registry import RegistryError

    try:
        config = oauth_config_for(provider)
        store = TokenStore.from_settings()
        if store.status(provider, athlete).status == "not_connected":
            console.print(f"{provider}: athlete {athlete} is not connected; nothing to do")
            return
        revoked = TokenManager(config, store, athlete).revoke()
    except (AuthError, RegistryError, ValueError) as exc:
        err.print(f"[red]disconnect failed:[/red] {exc}")
        raise typer.Exit(1) from None
    where = "revoked at the provider and " if revoked else "could not be revoked at the provider; "
    console.print(f"{provider} ({athlete}): access {where}local tokens deleted")


@app.command()
def connections() -> None:
    """List provider connections: connected, needs re-auth, not connected, unconfigured."""
    from ingestion.auth.tokens import connection_statuses

    table = Table("provider", "athlete", "status", "detail")
    for status in connection_statuses():
        colour = {"connected": "green", "needs_reauth": "red", "unconfigured": "dim"}.get(
            status.status, "yellow"
        )
        table.add_row(
            status.provider,
            status.athlete or "-",
            f"[{colour}]{status.status}[/{colour}]",
            status.reason or "",
        )
    console.print(table)
    if any(s.needs_reauth for s in connection_statuses()):
        raise typer.Exit(2)
