"""Withings notifications (Data API "Notify"): unsigned form POSTs naming the user, the data category (`appli`)
and the changed period; the callback URL is checked with a HEAD (or GET) request when a subscription is made.

Message (Withings developer documentation, "Notifications" / `notify?action=subscribe`; not copied)::

    POST <callbackurl>   userid=1234567&appli=1&startdate=1714550400&enddate=1714550460

Withings signs nothing. OpenFit subscribes with a callback URL that carries a secret, ``...?token=<token>``
(OPENFIT_WITHINGS_WEBHOOK_TOKEN): a request counts only if its `token` matches (compared in constant time), so
the callback must be served over TLS. The user, the category and the period identify a delivery (a repeat is a
replay); Withings sends no time of its own, so no freshness is checked. `userid` is the user id the token
answer carried, which the token store keeps as the provider user id.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qs

from ingestion.registry import Webhook
from ingestion.sources.withings.settings import WithingsSettings
from ingestion.webhooks.schemes import Notification, Verified, WebhookRejected, WebhookRequest

# appli (the data category of a notification) -> (name, the source's resources to sync). Categories OpenFit does
# not load (ECG, glucose, bed in/out, profile changes) sync nothing.
CATEGORIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "1": ("weight", ("measure_groups",)),  # weight and body composition
    "2": ("temperature", ("measure_groups",)),
    "4": ("pressure", ("measure_groups",)),  # blood pressure, heart rate, SpO2
    "16": ("activity", ("activity", "workouts")),  # steps, distance, calories, workouts
    "44": ("sleep", ("sleep_summary",)),
}


def _configured_token() -> str | None:
    token = WithingsSettings().webhook_token
    return token.get_secret_value() if token else None


def _check_token(query: Any) -> None:
    configured = _configured_token()
    if not configured:
        raise WebhookRejected("no Withings webhook token is configured")
    given = query.get("token") if hasattr(query, "get") else None
    if not isinstance(given, str) or not hmac.compare_digest(configured.encode(), given.encode()):
        raise WebhookRejected("the callback token does not match")


def _form(request: WebhookRequest) -> dict[str, str]:
    try:
        fields = {k: v[-1] for k, v in parse_qs(request.body.decode("ascii"), strict_parsing=True).items()}
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected("not a Withings notification (the body is not a form)") from None
    if not fields.get("userid", "").isdigit() or not fields.get("appli", "").isdigit():
        raise WebhookRejected("not a Withings notification (userid or appli missing)")
    return fields


def verify(request: WebhookRequest) -> Verified:
    _check_token(request.query)
    fields = _form(request)
    identity = ":".join(fields.get(k, "") for k in ("userid", "appli", "startdate", "enddate", "date"))
    return Verified(delivery_key=hashlib.sha256(identity.encode()).hexdigest(), sent_at=None)


def parse(request: WebhookRequest) -> list[Notification]:
    fields = _form(request)
    name = CATEGORIES.get(fields["appli"], (f"appli_{fields['appli']}", ()))[0]
    period = {k: fields[k] for k in ("startdate", "enddate", "date") if fields.get(k)}
    return [
        Notification(
            provider_user_id=fields["userid"],
            data_type=name,
            object_id=None,
            event_type=f"appli:{fields['appli']}",
            extra=period,
        )
    ]


def collections(data_types: frozenset[str]) -> tuple[str, ...]:
    """The source resources to sync for these categories (an empty tuple: none that OpenFit loads)."""
    by_name = dict(CATEGORIES.values())
    return tuple(sorted({r for t in data_types for r in by_name.get(t, ())}))


def handshake(query: Any) -> dict[str, Any]:
    """Withings checks a callback URL (HEAD, or GET) before it accepts a subscription: answer only with the token."""
    _check_token(query)
    return {}


WEBHOOK = Webhook(
    verify=verify,
    parse=parse,
    handshake=handshake,
    collections=collections,
    setup="subscribe each category (appli 1, 4, 16, 44) with notify?action=subscribe and the callback URL "
    "<public URL>/webhooks/withings?token=<token>; set the same token as OPENFIT_WITHINGS_WEBHOOK_TOKEN",
)
