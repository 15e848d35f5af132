"""Wahoo Cloud API webhooks: unsigned POSTs that carry a shared token in the body; no GET handshake (the URL,
the token and the on/off switch are set in the Wahoo developer portal).

Message (Wahoo API documentation, "Webhooks", WahooFitness/slate@1547f347d4; not copied)::

    {"event_type": "workout_summary", "webhook_token": "<token>", "user": {"id": 60462},
     "workout_summary": {"id": 8297, ..., "updated_at": "...", "file": {"url": "..."},
                         "workout": {"id": 56519, "starts": "...", "workout_type_id": 40, ...}}}

Wahoo signs nothing: a message counts only if its `webhook_token` equals OPENFIT_WAHOO_WEBHOOK_TOKEN (compared
in constant time), so the callback must be served over TLS. Wahoo retries a message not answered with HTTP 200
after 30 minutes, 4 hours, 24 hours and 72 hours, so no send time is checked (a retry three days later is
genuine); the summary's id and `updated_at` identify the delivery, so a repeat of the same summary is a replay
while an edited summary (new `updated_at`) is a new delivery. `user.id` is the `id` of GET /v1/user, which the
token store keeps as the provider user id. Webhooks need the `offline_data` scope on the user's token.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from ingestion.registry import Webhook
from ingestion.sources.wahoo.settings import WahooSettings
from ingestion.webhooks.schemes import Notification, Verified, WebhookRejected, WebhookRequest

# The message's event type -> the source's resources to sync (a summary belongs to a workout).
RESOURCES_BY_EVENT = {"workout_summary": ("workout",)}


def _configured_token() -> str | None:
    token = WahooSettings().webhook_token
    return token.get_secret_value() if token else None


def _message(request: WebhookRequest) -> dict[str, Any]:
    body = request.json()
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("event_type"), str)
        or not isinstance(body.get("user"), dict)
        or body["user"].get("id") is None
    ):
        raise WebhookRejected("not a Wahoo webhook message (event_type or user.id missing)")
    return body


def verify(request: WebhookRequest) -> Verified:
    configured = _configured_token()
    if not configured:
        raise WebhookRejected("no Wahoo webhook token is configured")
    body = _message(request)
    given = body.get("webhook_token")
    if not isinstance(given, str) or not hmac.compare_digest(configured.encode(), given.encode()):
        raise WebhookRejected("the webhook token does not match")
    summary = body.get("workout_summary") if isinstance(body.get("workout_summary"), dict) else {}
    identity = f"{body['event_type']}:{body['user']['id']}:{summary.get('id')}:{summary.get('updated_at')}"
    return Verified(delivery_key=hashlib.sha256(identity.encode()).hexdigest(), sent_at=None)


def parse(request: WebhookRequest) -> list[Notification]:
    body = _message(request)
    summary = body.get("workout_summary") if isinstance(body.get("workout_summary"), dict) else {}
    workout = summary.get("workout") if isinstance(summary.get("workout"), dict) else {}
    object_id = workout.get("id", summary.get("id"))
    return [
        Notification(
            provider_user_id=str(body["user"]["id"]),
            data_type=body["event_type"],
            object_id=str(object_id) if object_id is not None else None,
            event_type=body["event_type"],
            event_time=summary.get("updated_at"),
            extra={"workout_summary_id": summary["id"]} if summary.get("id") is not None else {},
        )
    ]


def collections(data_types: frozenset[str]) -> tuple[str, ...]:
    """The source resources to sync for these event types (an empty tuple: none that OpenFit loads)."""
    return tuple(sorted({r for t in data_types for r in RESOURCES_BY_EVENT.get(t, ())}))


WEBHOOK = Webhook(
    verify=verify,
    parse=parse,
    collections=collections,
    setup="in the Wahoo developer portal, enable the webhook, set its URL and a webhook token; set the same "
    "token as OPENFIT_WAHOO_WEBHOOK_TOKEN (users need the offline_data scope, in the default scopes)",
)
