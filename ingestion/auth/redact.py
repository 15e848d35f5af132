"""Keep secrets out of logs and error texts.

httpx/httpx2 log every request URL at INFO level, and a few provider endpoints (Oura's revoke, Strava's
deauthorize) take a token in the query string; a logging filter on those loggers masks such values.
"""

from __future__ import annotations

import logging
import re

_PATTERNS = [
    re.compile(r"(\b(?:access_token|refresh_token|code|code_verifier|client_secret|token)=)[^&\s'\"]+", re.I),
    re.compile(
        r"((?:\"|')(?:access_token|refresh_token|client_secret|code_verifier)(?:\"|')\s*:\s*(?:\"|'))[^\"']+",
        re.I,
    ),
    re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.I),
]
MASK = "***"


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_installed = False


def install_log_redaction() -> None:
    """Attach the filter to the HTTP/OAuth loggers (idempotent)."""
    global _installed
    if _installed:
        return
    for name in ("httpx", "httpx2", "httpcore", "authlib", "urllib3", "ingestion"):
        logging.getLogger(name).addFilter(RedactingFilter())
    _installed = True
