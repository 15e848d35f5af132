"""Webhook schemes: the request a provider pushes, what a verified one yields, and generic HMAC checks.

A provider package declares its scheme on its registry entry (``Provider.webhook``, a
:class:`ingestion.registry.Webhook`) from the pieces here, so a new provider with a "HMAC of timestamp + body"
signature declares it in one line::

    verify=timestamped_hmac("x-acme-signature", "x-acme-timestamp", secret=lambda: settings().client_secret)

Nothing here names a provider: each provider's package declares its scheme with these helpers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Encoding = Literal["hex", "hex_upper", "base64"]
# A notification older or newer than this (seconds) is a replay or a forgery: rejected.
DEFAULT_WINDOW_S = 300.0


class WebhookRejected(Exception):  # noqa: N818 (an outcome, not a programming error)
    """The request is not a genuine, fresh notification (answered 401, nothing queued).

    The message says why in words fit for a log line: it never holds a secret or a signature."""


@dataclass(frozen=True)
class WebhookRequest:
    """One HTTP request to ``/webhooks/<provider>``: header names lower-cased, the body as received."""

    method: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise WebhookRejected("the body is not JSON") from None


@dataclass(frozen=True)
class Verified:
    """What a successful check vouches for: ``delivery_key`` identifies this delivery (a provider's delivery id,
    or the signature itself), so a second request with the same key is a replay; ``sent_at`` (epoch seconds) is
    the time the provider says it sent or produced it, checked against the freshness window."""

    delivery_key: str
    sent_at: float | None


@dataclass(frozen=True)
class Notification:
    """One change at the provider: whose (``provider_user_id``), what (``data_type``, ``object_id``) and how
    (``event_type``: create / update / delete, the provider's word)."""

    provider_user_id: str
    data_type: str
    object_id: str | None = None
    event_type: str | None = None
    event_time: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# -- HMAC helpers ---------------------------------------------------------------------------------------------
def _secret_bytes(secret: str | bytes) -> bytes:
    return secret if isinstance(secret, bytes) else secret.encode()


def hmac_sha256(secret: str | bytes, message: bytes, encoding: Encoding = "hex") -> str:
    """HMAC-SHA256 of ``message`` under ``secret``: lower-case hex, upper-case hex or base64."""
    digest = hmac.new(_secret_bytes(secret), message, hashlib.sha256).digest()
    if encoding == "base64":
        return base64.b64encode(digest).decode()
    text = digest.hex()
    return text.upper() if encoding == "hex_upper" else text


def signature_matches(expected: str, given: str | None, encoding: Encoding) -> bool:
    """Constant-time comparison; hex digests compare case-insensitively (providers differ in case)."""
    if not given:
        return False
    given = given.strip()
    if encoding != "base64":
        expected, given = expected.lower(), given.lower()
    return hmac.compare_digest(expected.encode(), given.encode())


def sign_timestamped(secret: str | bytes, timestamp: str, body: bytes, encoding: Encoding = "hex") -> str:
    """The signature of ``timestamp + body`` (the scheme Oura and WHOOP use); tests and benchmarks sign with it."""
    return hmac_sha256(secret, timestamp.encode() + body, encoding)


def parse_timestamp(value: str | None, unit: Literal["s", "ms"] = "s") -> float:
    """Epoch seconds from a timestamp header (seconds or milliseconds)."""
    try:
        number = float(value or "")
    except ValueError:
        raise WebhookRejected("the timestamp header is missing or not a number") from None
    return number / 1000.0 if unit == "ms" else number


def verify_timestamped_hmac(
    secret: str | bytes | None,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    encoding: Encoding = "hex",
    timestamp_unit: Literal["s", "ms"] = "s",
) -> Verified:
    """Check ``signature == HMAC-SHA256(secret, timestamp + body)``; returns the delivery's key and send time.

    Raises :class:`WebhookRejected` for a missing secret, timestamp or signature, or a mismatch. The caller
    (the receiver) checks the send time against its window and the key against the deliveries it has seen."""
    if not secret:
        raise WebhookRejected("no signing secret is configured for this provider")
    if not signature:
        raise WebhookRejected("the signature header is missing")
    if not timestamp:
        raise WebhookRejected("the timestamp header is missing")
    sent_at = parse_timestamp(timestamp, timestamp_unit)
    expected = sign_timestamped(secret, timestamp, body, encoding)
    if not signature_matches(expected, signature, encoding):
        raise WebhookRejected("the signature does not match")
    return Verified(delivery_key=hashlib.sha256(expected.lower().encode()).hexdigest(), sent_at=sent_at)


def timestamped_hmac(
    signature_header: str,
    timestamp_header: str,
    secret: Callable[[], str | bytes | None],
    *,
    encoding: Encoding = "hex",
    timestamp_unit: Literal["s", "ms"] = "s",
) -> Callable[[WebhookRequest], Verified]:
    """A ``Webhook.verify`` for "HMAC-SHA256(secret, timestamp header + raw body)" schemes.

    ``secret`` is called on every request (settings may change without a restart); the signature doubles as
    the delivery key, so the same signed request twice is a replay."""

    def verify(request: WebhookRequest) -> Verified:
        return verify_timestamped_hmac(
            secret(),
            request.body,
            request.header(timestamp_header),
            request.header(signature_header),
            encoding=encoding,
            timestamp_unit=timestamp_unit,
        )

    return verify


def body_hmac(
    signature_header: str,
    secret: Callable[[], str | bytes | None],
    *,
    encoding: Encoding = "hex",
    prefix: str = "",
) -> Callable[[WebhookRequest], Verified]:
    """A ``Webhook.verify`` for "HMAC-SHA256(secret, raw body)" schemes (an optional ``sha256=``-like prefix on
    the header). Such a signature carries no time: the provider's ``parse`` should give one via the body if it
    can; the receiver still rejects a repeated signature."""

    def verify(request: WebhookRequest) -> Verified:
        key = secret()
        if not key:
            raise WebhookRejected("no signing secret is configured for this provider")
        given = request.header(signature_header)
        if given and prefix and given.startswith(prefix):
            given = given[len(prefix) :]
        expected = hmac_sha256(key, request.body, encoding)
        if not signature_matches(expected, given, encoding):
            raise WebhookRejected("the signature does not match")
        return Verified(delivery_key=hashlib.sha256(expected.lower().encode()).hexdigest(), sent_at=None)

    return verify


def token_handshake(
    token_param: str,
    challenge_param: str,
    expected_token: Callable[[], str | None],
    answer_key: str | None = None,
    mode: tuple[str, str] | None = None,
) -> Callable[[Mapping[str, str]], dict[str, Any]]:
    """A ``Webhook.handshake`` for "GET ?<token>=...&<challenge>=..." verifications: the token must equal the
    configured one (constant time); the answer is ``{answer_key or challenge_param: challenge}``. ``mode``
    is an extra (param, value) the request must carry (e.g. ``("hub.mode", "subscribe")``)."""

    def handshake(query: Mapping[str, str]) -> dict[str, Any]:
        if mode is not None and query.get(mode[0]) != mode[1]:
            raise WebhookRejected(f"{mode[0]} is not {mode[1]!r}")
        configured = expected_token()
        given = query.get(token_param)
        if not configured:
            raise WebhookRejected("no verification token is configured for this provider")
        if not given or not hmac.compare_digest(configured.encode(), given.encode()):
            raise WebhookRejected("the verification token does not match")
        challenge = query.get(challenge_param)
        if not challenge:
            raise WebhookRejected(f"{challenge_param} is missing")
        return {answer_key or challenge_param: challenge}

    return handshake


def is_fresh(sent_at: float | None, now: float | None = None, window_s: float = DEFAULT_WINDOW_S) -> bool:
    """Whether a send time lies within ``window_s`` of now (either side: clocks drift both ways)."""
    if sent_at is None:
        return True
    now = time.time() if now is None else now
    return abs(now - sent_at) <= window_s
