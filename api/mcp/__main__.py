"""`python -m api.mcp [--athlete ID ...]`: the stdio MCP server, the same as `openfit mcp`."""

from __future__ import annotations

import argparse

import openfit  # noqa: F401  (telemetry off)
from api.mcp.server import stdio_server


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m api.mcp", description="OpenFit MCP server over stdio")
    parser.add_argument("--athlete", action="append", help="limit to this athlete (repeatable)")
    args = parser.parse_args()
    stdio_server(args.athlete).run("stdio")


if __name__ == "__main__":
    main()
