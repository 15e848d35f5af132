"""Strava push subscriptions (Webhook Events API): the GET handshake and the POST events.

Handshake: ``GET ?hub.mode=subscribe&hub.verify_token=<token>&hub.challenge=<c>`` answered ``{"hub.challenge": c}``.
Events: ``{object_type, object_id, aspect_type, owner_id, subscription_id, event_time, updates}``. Strava does
not sign events: an event must name our subscription (``OPENFIT_STRAVA_WEBHOOK_SUBSCRIPTION_ID``), and its
``event_time`` must be fresh; the receiver rejects a repeated event as a replay.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from ingestion.registry import Webhook
from ingestion.sources.strava.settings import StravaSettings
from ingestion.webhooks.schemes import (
    Notification,
    Verified,
    WebhookRejected,
    WebhookRequest,
    token_handshake,
)

EVENT_FIELDS = ("object_type", "object_id", "aspect_type", "owner_id", "subscription_id", "event_time")


def _verify_token() -> str | None:
    token = StravaSettings().webhook_verify_token
    return token.get_secret_value() if token else None


def _event(request: WebhookRequest) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict) or any(body.get(name) is None for name in EVENT_FIELDS):
        raise WebhookRejected("not a Strava event (fields missing)")
    return body


def verify(request: WebhookRequest) -> Verified:
    expected = StravaSettings().webhook_subscription_id
    if expected is None:
        raise WebhookRejected("no Strava subscription id is configured")
    event = _event(request)
    if not hmac.compare_digest(str(event["subscription_id"]).encode(), str(expected).encode()):
        raise WebhookRejected("the event names another subscription")
    try:
        sent_at = float(event["event_time"])
    except (TypeError, ValueError):
        raise WebhookRejected("event_time is not a number") from None
    # The event itself is its identity: Strava sends no delivery id.
    canonical = json.dumps(
        {**{name: event[name] for name in EVENT_FIELDS}, "updates": event.get("updates") or {}},
        sort_keys=True,
    )
    return Verified(delivery_key=hashlib.sha256(canonical.encode()).hexdigest(), sent_at=sent_at)


def parse(request: WebhookRequest) -> list[Notification]:
    event = _event(request)
    return [
        Notification(
            provider_user_id=str(event["owner_id"]),
            data_type=str(event["object_type"]),  # activity | athlete
            object_id=str(event["object_id"]),
            event_type=str(event["aspect_type"]),  # create | update | delete
            event_time=str(event["event_time"]),
            extra={"updates": event.get("updates") or {}},
        )
    ]


WEBHOOK = Webhook(
    verify=verify,
    parse=parse,
    handshake=token_handshake(
        "hub.verify_token", "hub.challenge", _verify_token, mode=("hub.mode", "subscribe")
    ),
    # The Strava source has no per-resource filter: an event syncs the athlete's new activities (incremental).
    collections=lambda data_types: None,
    setup="POST https://www.strava.com/api/v3/push_subscriptions with client_id, client_secret, callback_url "
    "and a verify_token; set OPENFIT_STRAVA_WEBHOOK_VERIFY_TOKEN to that token and "
    "OPENFIT_STRAVA_WEBHOOK_SUBSCRIPTION_ID to the id it returns",
)
