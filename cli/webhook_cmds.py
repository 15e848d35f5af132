"""`openfit webhooks`: the callback URLs to register per provider, and the recent deliveries."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cli import app
from openfit.settings import get_settings

console = Console()


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


@app.command()
def webhooks(
    limit: Annotated[int, typer.Option(min=1, help="Recent deliveries to show.")] = 20,
) -> None:
    """Callback URLs to register per provider (from webhook_public_url) and the recent deliveries."""
    from ingestion.registry import discover
    from ingestion.webhooks.intake import Intake, intake_path

    settings = get_settings()
    base = (settings.webhook_public_url or "").rstrip("/")
    if not base:
        base = f"http://127.0.0.1:{settings.webhook_port}"
        console.print(
            "[yellow]webhook_public_url is not set[/yellow]: providers need a public https URL that reaches "
            f"port {settings.webhook_port} (`openfit config set webhook_public_url https://...`); "
            "local URLs shown."
        )
    console.print("[bold]Callback URLs to register[/bold]")
    for name, provider in discover().items():
        if provider.webhook is None:
            continue
        if name in settings.disabled_providers:
            state = "disabled"
        else:
            state = "configured" if provider.is_configured() else "client id/secret not set"
        # plain lines, never cut: the URL and the hint are copied from here
        console.print(f"{name:<10} {base}/webhooks/{name}  ({state})", soft_wrap=True, highlight=False)
        if provider.webhook.setup:
            console.print(f"{'':<10} {provider.webhook.setup}", soft_wrap=True, highlight=False)

    if not intake_path(settings.home_dir).exists():
        console.print("No deliveries received yet.")
        return
    intake = Intake.for_home(settings.home_dir)
    try:
        counts = intake.counts()
        recent = intake.deliveries(limit=limit)
    finally:
        intake.close()
    now = time.time()
    table = Table(title=f"Recent deliveries ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})")
    for column in ("id", "provider", "athlete", "data type", "event", "status", "age", "run"):
        table.add_column(column)
    for d in recent:
        table.add_row(
            str(d.id),
            d.provider,
            d.athlete or f"(unmatched user {d.provider_user_id})",
            d.data_type,
            d.event_type or "",
            d.status,
            _age(now - d.received_at),
            (d.run_id or "")[:8],
        )
    console.print(table)
