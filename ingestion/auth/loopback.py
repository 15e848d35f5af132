"""Receive the OAuth redirect on a loopback port, and the complete `connect` flow built on it."""

from __future__ import annotations

import contextlib
import http.server
import logging
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

from ingestion.auth.errors import CallbackError
from ingestion.auth.oauth import OAuthConfig, exchange_code, start_authorization
from ingestion.auth.tokens import TokenStore

log = logging.getLogger(__name__)

_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>OpenFit</title></head>"
    "<body style='font-family:sans-serif'><h2>{title}</h2><p>{text}</p></body></html>"
)


@dataclass
class CallbackResult:
    code: str | None
    state: str | None
    error: str | None
    granted_scope: str | None


class LoopbackCallback:
    """A one-shot HTTP server on 127.0.0.1 that captures the provider's redirect (`?code=...&state=...`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, path: str = "/callback"):
        self.path = path
        self._result: CallbackResult | None = None
        self._done = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                parsed = urlparse(self.path)
                if parsed.path != outer.path:
                    self.send_error(404)
                    return
                query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                outer._result = CallbackResult(
                    code=query.get("code"),
                    state=query.get("state"),
                    error=query.get("error"),
                    granted_scope=query.get("scope"),
                )
                ok = outer._result.code is not None and outer._result.error is None
                body = _PAGE.format(
                    title="Connected" if ok else "Authorisation failed",
                    text="You can close this tab and return to the terminal."
                    if ok
                    else "The provider did not grant access; see the terminal.",
                ).encode()
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                outer._done.set()

            def log_message(self, format: str, *args: Any) -> None:  # the query holds the code: never log it
                return

        self._server = http.server.ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="oauth-callback", daemon=True)

    @property
    def redirect_uri(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.path}"

    def __enter__(self) -> LoopbackCallback:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, expected_state: str, timeout: float) -> CallbackResult:
        if not self._done.wait(timeout):
            raise CallbackError(f"no authorisation callback within {timeout:.0f}s")
        result = self._result
        assert result is not None
        if result.error:
            raise CallbackError(f"the provider returned error {result.error!r} instead of a code")
        if result.state != expected_state:
            raise CallbackError(
                "the callback's state does not match this login attempt (possible CSRF); try again"
            )
        if not result.code:
            raise CallbackError("the callback carries no authorization code")
        return result


def connect(
    config: OAuthConfig,
    store: TokenStore,
    athlete: str,
    *,
    port: int = 0,
    timeout: float = 300.0,
    open_browser: bool = True,
    show_url: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run the whole authorization-code flow and store the tokens. Returns the non-secret connection facts."""
    config.require_credentials()
    with LoopbackCallback(port=port) as callback:
        request = start_authorization(config, callback.redirect_uri)
        show_url(request.url)
        if open_browser:
            # headless machine: the printed URL is enough
            with contextlib.suppress(webbrowser.Error):
                webbrowser.open(request.url, new=2)
        result = callback.wait(request.state, timeout)
    token = exchange_code(config, request, result.code or "")
    if result.granted_scope and not token.get("scope"):
        token["scope"] = result.granted_scope
    if not token.get("provider_user_id") and config.user_id_lookup is not None:
        try:  # webhooks name the provider's user; without the id they cannot reach this athlete yet
            user_id = config.user_id_lookup(token["access_token"])
        except Exception as exc:  # the connection stands; the next sync records the id
            log.warning("%s: could not look up the account id (%s)", config.provider, type(exc).__name__)
            user_id = None
        if user_id:
            token["provider_user_id"] = str(user_id)
    if config.after_consent is not None:
        config.after_consent(
            token, athlete
        )  # e.g. Polar's user registration; an AuthError ends the connect here
    with store.lock(config.provider, athlete):
        store.save(config.provider, athlete, token)
    log.info("%s connected for athlete %s", config.provider, athlete)
    return {
        "provider": config.provider,
        "athlete": athlete,
        "scope": token.get("scope"),
        "expires_at": token.get("expires_at"),
        "provider_user_id": token.get("provider_user_id"),
    }
