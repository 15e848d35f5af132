"""Polar AccessLink webhooks: signed POSTs, no GET handshake (the app creates its one webhook with
`POST /v3/webhooks` {"events": [...], "url": ...}, client Basic auth; the answer carries the
`signature_secret_key`, shown only then).

Payload (OpenAPI schemas webhookPayloadExercise, ...Sleep, ...ContinuousHeartRate, ...ActivitySummary,
...CircadianBedtime, ...Alertness)::

    {"event": "EXERCISE", "user_id": 475, "entity_id": "aQlC83", "timestamp": "2018-05-15T14:22:24Z",
     "url": "https://www.polaraccesslink.com/v3/exercises/aQlC83"}
    {"event": "SLEEP", "user_id": 475, "date": "2019-12-31", "timestamp": "...", "url": ".../sleep/2019-12-31"}

Header `Polar-Webhook-Signature` = hex(HMAC-SHA256(signature_secret_key, raw body)) (AccessLink
documentation, "Webhooks"; not copied). The body's `timestamp` (when Polar sent it) is the send time checked
against the receiver's freshness window; the signature identifies the delivery, so the same signed body twice
is a replay. `user_id` is the Polar user id (`x_user_id` of the token answer), which the token store keeps as
the provider user id.

PING: creating or activating the webhook makes Polar POST `{"event": "PING", "timestamp": ...}`, which must be
answered 200 or the webhook is not created, and it comes before the app can know the new secret. A PING is
therefore accepted unsigned, and queues nothing (a forged PING can do nothing but be acknowledged); a replayed
PING body is still refused.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from ingestion.registry import Webhook
from ingestion.sources.polar.settings import PolarSettings
from ingestion.webhooks.schemes import (
    Notification,
    Verified,
    WebhookRejected,
    WebhookRequest,
    hmac_sha256,
    signature_matches,
)

SIGNATURE_HEADER = "polar-webhook-signature"
PING = "PING"
# The event type -> the source's resources to sync.
RESOURCES_BY_EVENT = {
    "EXERCISE": ("exercise",),
    "SLEEP": ("sleep", "nightly_recharge"),  # Nightly Recharge is computed from the same night
    "CONTINUOUS_HEART_RATE": ("continuous_heart_rate",),
    "ACTIVITY_SUMMARY": ("activity",),
    # SleepWise alertness and circadian bedtime stay unread (README): nothing to sync
    "SLEEP_WISE_CIRCADIAN_BEDTIME": (),
    "SLEEP_WISE_ALERTNESS": (),
}


def _secret() -> str | None:
    secret = PolarSettings().webhook_secret
    return secret.get_secret_value() if secret else None


def _body(request: WebhookRequest) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError:
        raise WebhookRejected("not a Polar webhook payload (no JSON)") from None
    if not isinstance(body, dict) or not isinstance(body.get("event"), str):
        raise WebhookRejected("not a Polar webhook payload (event missing)")
    return body


def _sent_at(body: dict[str, Any]) -> float | None:
    value = body.get("timestamp")
    if not isinstance(value, str):
        return None
    try:
        sent = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise WebhookRejected("the payload's timestamp is not a date-time") from None
    return (sent if sent.tzinfo else sent.replace(tzinfo=UTC)).timestamp()  # Polar's times are UTC


def verify(request: WebhookRequest) -> Verified:
    body = _body(request)
    if body["event"] == PING and set(body) <= {"event", "timestamp"}:
        return Verified(delivery_key=hashlib.sha256(request.body).hexdigest(), sent_at=_sent_at(body))
    key = _secret()
    if not key:
        raise WebhookRejected("no Polar webhook secret is configured (OPENFIT_POLAR_WEBHOOK_SECRET)")
    expected = hmac_sha256(key, request.body, "hex")
    if not signature_matches(expected, request.header(SIGNATURE_HEADER), "hex"):
        raise WebhookRejected("the signature does not match")
    return Verified(
        delivery_key=hashlib.sha256(expected.lower().encode()).hexdigest(), sent_at=_sent_at(body)
    )


def parse(request: WebhookRequest) -> list[Notification]:
    body = _body(request)
    if body["event"] == PING:
        return []
    if body.get("user_id") is None:
        raise WebhookRejected("not a Polar webhook payload (user_id missing)")
    object_id = body.get("entity_id", body.get("date"))
    return [
        Notification(
            provider_user_id=str(body["user_id"]),
            data_type=body["event"],
            object_id=str(object_id) if object_id is not None else None,
            event_type=body["event"],
            event_time=body.get("timestamp"),
            extra={"url": body["url"]} if isinstance(body.get("url"), str) else {},
        )
    ]


def collections(data_types: frozenset[str]) -> tuple[str, ...]:
    """The source resources to sync for these event types (an empty tuple: none that OpenFit loads)."""
    return tuple(sorted({r for t in data_types for r in RESOURCES_BY_EVENT.get(t, ())}))


WEBHOOK = Webhook(
    verify=verify,
    parse=parse,
    collections=collections,
    setup="create the app's webhook with POST https://www.polaraccesslink.com/v3/webhooks (HTTP Basic with the "
    "client id and secret; events EXERCISE, SLEEP, CONTINUOUS_HEART_RATE, ACTIVITY_SUMMARY; url this URL) and "
    "set the signature_secret_key of its answer as OPENFIT_POLAR_WEBHOOK_SECRET",
)
