"""The webhook receiver: ``GET/POST /webhooks/{provider}``, a small FastAPI app on its own port.

It verifies, records and acknowledges; it never syncs, and it never opens the warehouse (or any DuckDB
file): accepted notifications go to the intake queue (ingestion/webhooks/intake.py), which Dagster's
``webhook_sensor`` turns into syncs. Answers:

    GET   200 the provider's handshake answer    401 wrong token    404 unknown provider    405 no handshake
    POST  200 {"accepted": n}    401 bad signature, stale timestamp or replay (nothing queued)
          400 a verified body that is not a notification    404 unknown provider    413 body too large

Run it with ``uvicorn ingestion.webhooks.app:create_app --factory`` (``openfit serve`` does, on
``webhook_port``). Secrets stay in the providers' settings; log lines name the provider and the reason only.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ingestion.auth.tokens import TokenStore
from ingestion.registry import Webhook, discover
from ingestion.webhooks.intake import Intake, Replay
from ingestion.webhooks.schemes import DEFAULT_WINDOW_S, WebhookRejected, WebhookRequest, is_fresh

log = logging.getLogger("openfit.webhooks")
MAX_BODY_BYTES = 64 * 1024
# How long a provider user id -> athlete match is reused before the token store is read again.
ATHLETE_CACHE_S = 60.0


@dataclass
class Receiver:
    """What the routes share: the providers' schemes, the intake queue and the athlete lookup."""

    webhooks: dict[str, Webhook]
    intake: Intake
    store: TokenStore
    window_s: float = DEFAULT_WINDOW_S
    _athletes: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)

    def athlete_for(self, provider: str, user_id: str) -> str | None:
        now = time.monotonic()
        cached = self._athletes.get((provider, user_id))
        if cached and cached[1] > now:
            return cached[0]
        athlete = self.store.athlete_for(provider, user_id)
        if athlete is not None:
            self._athletes[(provider, user_id)] = (athlete, now + ATHLETE_CACHE_S)
        return athlete

    def receive(self, provider: str, request: WebhookRequest) -> dict[str, Any]:
        """Verify and queue one POST. Raises WebhookRejected (401), Replay (401) or ValueError (400)."""
        webhook = self.webhooks[provider]
        verified = webhook.verify(request)
        if not is_fresh(verified.sent_at, window_s=self.window_s):
            raise WebhookRejected("the timestamp is outside the freshness window")
        try:
            notifications = webhook.parse(request)
        except WebhookRejected as exc:
            raise ValueError(str(exc)) from None
        rows = []
        for note in notifications:
            athlete = self.athlete_for(provider, note.provider_user_id)
            rows.append((note, athlete, "pending" if athlete else "unmatched"))
        ids = self.intake.accept(provider, verified.delivery_key, rows)
        return {"accepted": len(ids)}


def _request(request: Request, body: bytes = b"") -> WebhookRequest:
    return WebhookRequest(
        method=request.method,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=dict(request.query_params),
        body=body,
    )


def create_app(
    webhooks: dict[str, Webhook] | None = None,
    intake: Intake | None = None,
    store: TokenStore | None = None,
    window_s: float = DEFAULT_WINDOW_S,
) -> FastAPI:
    """The receiver. Defaults: every registered provider that declares a webhook and is not disabled, the
    home's intake queue and token store."""
    from openfit.settings import get_settings

    settings = get_settings()
    if webhooks is None:
        webhooks = {
            name: provider.webhook
            for name, provider in discover().items()
            if provider.webhook is not None and name not in settings.disabled_providers
        }
    receiver = Receiver(
        webhooks=webhooks,
        intake=intake or Intake.for_home(settings.home_dir),
        store=store or TokenStore.from_settings(settings),
        window_s=window_s,
    )
    app = FastAPI(
        title="OpenFit webhook receiver",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        description="Provider change notifications in; syncs happen later, in Dagster.",
    )
    app.state.receiver = receiver

    def _provider(name: str) -> Webhook:
        webhook = receiver.webhooks.get(name)
        if webhook is None:
            raise HTTPException(status_code=404, detail="unknown provider")
        return webhook

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "providers": sorted(receiver.webhooks)}

    @app.get("/webhooks/{provider}")
    def handshake(provider: str, request: Request) -> JSONResponse:
        webhook = _provider(provider)
        if webhook.handshake is None:
            raise HTTPException(status_code=405, detail="this provider has no subscription handshake")
        try:
            answer = webhook.handshake(dict(request.query_params))
        except WebhookRejected as exc:
            log.warning("webhook %s: handshake refused (%s)", provider, exc)
            raise HTTPException(status_code=401, detail="verification failed") from None
        log.info("webhook %s: subscription handshake answered", provider)
        return JSONResponse(answer)

    @app.head("/webhooks/{provider}")
    def url_check(provider: str, request: Request) -> Response:
        """A provider checking the callback URL before it subscribes (Withings sends HEAD): 200 when the
        provider's handshake accepts the URL's query (its token), no body."""
        webhook = _provider(provider)
        if webhook.handshake is None:
            raise HTTPException(status_code=405, detail="this provider has no subscription handshake")
        try:
            webhook.handshake(dict(request.query_params))
        except WebhookRejected as exc:
            log.warning("webhook %s: URL check refused (%s)", provider, exc)
            raise HTTPException(status_code=401, detail="verification failed") from None
        return Response(status_code=200)

    @app.post("/webhooks/{provider}")
    async def notify(provider: str, request: Request) -> JSONResponse:
        _provider(provider)
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            raise HTTPException(status_code=413, detail="body too large")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(status_code=413, detail="body too large")
        try:
            result = await run_in_threadpool(receiver.receive, provider, _request(request, body))
        except Replay:
            log.warning("webhook %s: replayed delivery rejected", provider)
            raise HTTPException(status_code=401, detail="replayed delivery") from None
        except WebhookRejected as exc:
            log.warning("webhook %s: rejected (%s)", provider, exc)
            raise HTTPException(status_code=401, detail="verification failed") from None
        except ValueError as exc:
            log.warning("webhook %s: verified body is not a notification (%s)", provider, exc)
            raise HTTPException(status_code=400, detail="not a notification") from None
        return JSONResponse(result)

    return app
