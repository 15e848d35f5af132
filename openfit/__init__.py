"""OpenFit core: settings, CLI, publishing of the read-only snapshot.

Importing this package switches every bundled tool's telemetry off (the project's rule: no telemetry,
in tests, CI or production). `setdefault` keeps an operator's explicit choice.
"""

import os

for _name, _value in {
    "RUNTIME__DLTHUB_TELEMETRY": "false",
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "DAGSTER_DISABLE_TELEMETRY": "true",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    # FastAPI and the MCP SDK open OpenTelemetry spans; with no SDK installed they are no-ops, and this keeps
    # an OpenTelemetry SDK that some other package pulls in from exporting anything.
    "OTEL_SDK_DISABLED": "true",
}.items():
    os.environ.setdefault(_name, _value)

__version__ = "0.1.0"
