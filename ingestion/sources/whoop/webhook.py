"""WHOOP v2 webhooks: signed POST events, no GET handshake (the callback URL is set in the developer dashboard).

Events: ``{"user_id": <int>, "id": "<UUID>", "type": "workout.updated|workout.deleted|sleep.updated|...
|recovery.updated|recovery.deleted", "trace_id": "<string>"}`` with ``X-WHOOP-Signature-Timestamp`` (epoch
milliseconds) and ``X-WHOOP-Signature`` = base64(HMAC-SHA256(client secret, timestamp + raw body)); for recovery
events ``id`` is the related sleep's UUID. ``user_id`` is the ``user_id`` of ``/v2/user/profile/basic``, which the
token store keeps as the provider user id. (WHOOP developer documentation, "Webhooks", v2; not copied.)
"""

from __future__ import annotations

from typing import Any

from ingestion.registry import Webhook
from ingestion.sources.whoop.settings import WhoopSettings
from ingestion.webhooks.schemes import Notification, WebhookRejected, WebhookRequest, timestamped_hmac

SIGNATURE_HEADER = "x-whoop-signature"
TIMESTAMP_HEADER = "x-whoop-signature-timestamp"
# The event's object -> the source's resources to sync (a recovery belongs to a cycle and follows a sleep).
RESOURCES_BY_OBJECT = {
    "workout": ("workout",),
    "sleep": ("sleep",),
    "recovery": ("cycle", "recovery"),
}


def _client_secret() -> str | None:
    secret = WhoopSettings().client_secret
    return secret.get_secret_value() if secret else None


def parse(request: WebhookRequest) -> list[Notification]:
    body: Any = request.json()
    if not isinstance(body, dict) or body.get("user_id") is None or not isinstance(body.get("type"), str):
        raise WebhookRejected("not a WHOOP event (user_id or type missing)")
    event_type = body["type"]
    return [
        Notification(
            provider_user_id=str(body["user_id"]),
            data_type=event_type.split(".", 1)[0],
            object_id=str(body["id"]) if body.get("id") is not None else None,
            event_type=event_type,
            extra={"trace_id": body["trace_id"]} if body.get("trace_id") else {},
        )
    ]


def collections(data_types: frozenset[str]) -> tuple[str, ...]:
    """The source resources to sync for these event objects (an empty tuple: none that OpenFit loads)."""
    return tuple(sorted({r for t in data_types for r in RESOURCES_BY_OBJECT.get(t, ())}))


def verifier() -> Any:
    return timestamped_hmac(
        SIGNATURE_HEADER, TIMESTAMP_HEADER, _client_secret, encoding="base64", timestamp_unit="ms"
    )


WEBHOOK = Webhook(
    verify=verifier(),
    parse=parse,
    collections=collections,
    setup="set the webhook URL (v2) in the WHOOP developer dashboard for the app; events are signed with "
    "the app's client secret (OPENFIT_WHOOP_CLIENT_SECRET)",
)
