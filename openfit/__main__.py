"""`python -m openfit`: the `openfit` command (the CLI lives on the top floor, in the `cli` package)."""

from cli import app

app()
