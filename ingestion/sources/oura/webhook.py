"""Oura API v2 webhook subscriptions: the GET verification and the signed POST events.

Verification: ``GET ?verification_token=<token>&challenge=<c>`` answered ``{"challenge": c}``.
Events: ``{event_type, data_type, object_id, event_time, user_id}`` with ``x-oura-timestamp`` (epoch seconds)
and ``x-oura-signature`` = upper-case hex HMAC-SHA256(client secret, timestamp + raw body). ``user_id`` is the
``id`` of the user's ``/usercollection/personal_info``, which the token store keeps as the provider user id.
"""

from __future__ import annotations

from typing import Any

from ingestion.registry import Webhook
from ingestion.sources.oura.settings import OuraSettings
from ingestion.webhooks.schemes import (
    Notification,
    WebhookRejected,
    WebhookRequest,
    timestamped_hmac,
    token_handshake,
)

SIGNATURE_HEADER = "x-oura-signature"
TIMESTAMP_HEADER = "x-oura-timestamp"
# Webhook data types whose documents the source loads, by the raw table (= source resource) they land in.
LOADED_DATA_TYPES = {
    "sleep": "sleep",
    "daily_sleep": "daily_sleep",
    "daily_readiness": "daily_readiness",
    "daily_activity": "daily_activity",
    "workout": "workout",
    "session": "session",
    "daily_spo2": "daily_spo2",
    "daily_stress": "daily_stress",
    "vo2_max": "vo2_max",
}


def _client_secret() -> str | None:
    secret = OuraSettings().client_secret
    return secret.get_secret_value() if secret else None


def _verification_token() -> str | None:
    token = OuraSettings().webhook_verification_token
    return token.get_secret_value() if token else None


def parse(request: WebhookRequest) -> list[Notification]:
    body: Any = request.json()
    if not isinstance(body, dict) or not body.get("user_id") or not body.get("data_type"):
        raise WebhookRejected("not an Oura event (user_id or data_type missing)")
    return [
        Notification(
            provider_user_id=str(body["user_id"]),
            data_type=str(body["data_type"]),
            object_id=str(body["object_id"]) if body.get("object_id") is not None else None,
            event_type=str(body["event_type"]) if body.get("event_type") else None,
            event_time=str(body["event_time"]) if body.get("event_time") else None,
        )
    ]


def collections(data_types: frozenset[str]) -> tuple[str, ...]:
    """The source resources to sync for these data types (an empty tuple: none that OpenFit loads)."""
    return tuple(sorted({LOADED_DATA_TYPES[t] for t in data_types if t in LOADED_DATA_TYPES}))


WEBHOOK = Webhook(
    verify=timestamped_hmac(SIGNATURE_HEADER, TIMESTAMP_HEADER, _client_secret, encoding="hex_upper"),
    parse=parse,
    handshake=token_handshake("verification_token", "challenge", _verification_token),
    collections=collections,
    setup="POST https://api.ouraring.com/v2/webhook/subscription (x-client-id, x-client-secret) with "
    "callback_url, verification_token, event_type and data_type, once per data type; set "
    "OPENFIT_OURA_WEBHOOK_VERIFICATION_TOKEN to that token (events are signed with the client secret)",
)
