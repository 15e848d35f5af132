"""What every mock provider shares: the OAuth2 authorization server, token bookkeeping, latency, rate limits,
429 storms and injected 5xx. Subclasses add their API routes.

OAuth behaviour modelled on the real providers:
- /oauth/authorize auto-approves and redirects to the loopback `redirect_uri` with `code` and `state`
  (PKCE S256 challenge remembered when sent);
- the token endpoint exchanges a code once, issues access tokens that expire after `access_token_ttl_s`, and
  rotates refresh tokens: each refresh token works exactly once (a second use gets `invalid_grant`);
- a revoked grant invalidates its access and refresh tokens.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import random
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse


@dataclass
class MockConfig:
    client_id: str = "openfit-test-client"
    client_secret: str = "openfit-test-secret"
    access_token_ttl_s: float = 6 * 3600
    latency_s: tuple[float, float] = (0.0, 0.0)
    error_rate: float = 0.0  # share of API requests answered with a 5xx
    seed: int = 7
    # fixed rate-limit windows (seconds) and limits per window: {"overall": (short, long), "read": (...)}
    window_lengths_s: tuple[float, float] = (900.0, 86400.0)
    limits: dict[str, tuple[int, int]] | None = None
    send_retry_after: bool = False
    page_size: int = 50  # for next_token pagination (Oura)


@dataclass
class _Grant:
    athlete_id: int
    scope: str
    revoked: bool = False
    refresh_token: str = ""
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expires_at


class MockProvider:
    """Base server. `start()` binds 127.0.0.1 on a free port; use as a context manager."""

    name = "mock"
    api_prefix = "/api"

    def __init__(self, config: MockConfig | None = None, host: str = "127.0.0.1", port: int = 0):
        self.config = config or MockConfig()
        self._lock = threading.RLock()
        self._rng = random.Random(self.config.seed)
        self._codes: dict[str, dict[str, Any]] = {}
        self._grants: list[_Grant] = []
        self._by_access: dict[str, _Grant] = {}
        self._by_refresh: dict[str, _Grant] = {}
        self._used_refresh: set[str] = set()
        self._storm_remaining = 0
        self._storm_retry_after: float | None = None
        self._fail_next: list[int] = []
        self._window_counts: dict[tuple[str, int, int], int] = Counter()
        self.stats: Counter[str] = Counter()
        self.requests_log: list[
            tuple[str, str, dict[str, str]]
        ] = []  # (method, path, query) for contract tests
        self.served: Counter[str] = Counter()
        self.request_headers = threading.local()  # the current request's headers (route_oauth's thread)
        self._server = http.server.ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._server.request_queue_size = 128
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> MockProvider:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"{self.name}-mock", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> MockProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls -----------------------------------------------------------------------------------
    def expire_access_tokens(self) -> None:
        with self._lock:
            for grant in self._grants:
                for token in grant.access_tokens:
                    grant.access_tokens[token] = time.time() - 1

    def revoke_all(self) -> None:
        with self._lock:
            for grant in self._grants:
                grant.revoked = True

    def storm(self, count: int, retry_after_s: float | None = None) -> None:
        """Answer the next `count` API requests with 429."""
        with self._lock:
            self._storm_remaining = count
            self._storm_retry_after = retry_after_s

    def fail_next(self, *statuses: int) -> None:
        with self._lock:
            self._fail_next.extend(statuses)

    def issue_tokens(self, athlete_id: int = 1, scope: str = "read") -> dict[str, Any]:
        """Mint a grant directly (tests that start from an existing connection)."""
        with self._lock:
            grant = _Grant(athlete_id=athlete_id, scope=scope)
            self._grants.append(grant)
            return self._token_response(grant)

    # -- OAuth -------------------------------------------------------------------------------------------
    def _new_access(self, grant: _Grant) -> tuple[str, float]:
        token = secrets.token_hex(20)
        expires_at = time.time() + self.config.access_token_ttl_s
        grant.access_tokens[token] = expires_at
        self._by_access[token] = grant
        return token, expires_at

    def _token_response(self, grant: _Grant) -> dict[str, Any]:
        access, expires_at = self._new_access(grant)
        grant.refresh_token = secrets.token_hex(20)
        self._by_refresh[grant.refresh_token] = grant
        return {
            "token_type": "Bearer",
            "access_token": access,
            "refresh_token": grant.refresh_token,
            "expires_at": int(expires_at),
            "expires_in": int(self.config.access_token_ttl_s),
            "scope": grant.scope,
        }

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if query.get("client_id") != self.config.client_id:
            return 400, {}, {"error": "invalid_client"}
        if query.get("response_type") != "code":
            return 400, {}, {"error": "unsupported_response_type"}
        redirect = query.get("redirect_uri", "")
        if urlparse(redirect).hostname not in ("127.0.0.1", "localhost"):
            return 400, {}, {"error": "invalid_request", "error_description": "redirect_uri must be loopback"}
        code = secrets.token_hex(12)
        with self._lock:
            self._codes[code] = {
                "redirect_uri": redirect,
                "scope": query.get("scope", ""),
                "challenge": query.get("code_challenge"),
                "challenge_method": query.get("code_challenge_method"),
            }
            self.stats["authorize"] += 1
        params = {"code": code, "scope": query.get("scope", "")}
        if "state" in query:
            params["state"] = query["state"]
        return 302, {"Location": f"{redirect}?{urlencode(params)}"}, None

    def token(self, form: dict[str, str]) -> tuple[int, Any]:
        if (
            form.get("client_id") != self.config.client_id
            or form.get("client_secret") != self.config.client_secret
        ):
            return 401, self.token_error("invalid_client")
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                pending = self._codes.pop(form.get("code", ""), None)  # codes are single-use
                if pending is None or pending["redirect_uri"] != form.get("redirect_uri"):
                    return 400, self.token_error("invalid_grant")
                if pending["challenge"]:
                    verifier = form.get("code_verifier", "")
                    digest = (
                        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                        .rstrip(b"=")
                        .decode()
                    )
                    if digest != pending["challenge"]:
                        return 400, self.token_error("invalid_grant")
                grant = _Grant(athlete_id=self.athlete_id(), scope=pending["scope"])
                self._grants.append(grant)
                self.stats["code_exchange"] += 1
                return 200, self.decorate_token_response(self._token_response(grant))
            if grant_type == "refresh_token":
                refresh = form.get("refresh_token", "")
                grant = self._by_refresh.get(refresh)
                if (
                    grant is None
                    or grant.revoked
                    or refresh in self._used_refresh
                    or refresh != grant.refresh_token
                ):
                    self.stats["invalid_grant"] += 1
                    return 400, self.token_error("invalid_grant")
                self._used_refresh.add(refresh)  # single use
                self.stats["refresh"] += 1
                return 200, self._token_response(grant)
        return 400, self.token_error("unsupported_grant_type")

    def revoke_access_token(self, access_token: str) -> bool:
        with self._lock:
            grant = self._by_access.get(access_token)
            if grant is None:
                return False
            grant.revoked = True
            self.stats["revoked"] += 1
            return True

    def check_bearer(self, headers: Any) -> _Grant | None:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return None
        token = auth[len("Bearer ") :]
        with self._lock:
            grant = self._by_access.get(token)
            if grant is None or grant.revoked or grant.access_tokens.get(token, 0) < time.time():
                return None
            return grant

    # -- per-provider hooks ------------------------------------------------------------------------------
    def athlete_id(self) -> int:
        return 1

    def token_error(self, error: str) -> Any:
        return {"error": error}

    def decorate_token_response(self, body: dict[str, Any]) -> dict[str, Any]:
        return body

    def unauthorized_body(self) -> Any:
        return {"error": "unauthorized"}

    def rate_limit_headers(self, usage: dict[str, tuple[int, int]]) -> dict[str, str]:
        return {}

    def throttled_response(self) -> tuple[int, Any]:
        """The answer to a request over the rate limit (some providers send HTTP 200 with an error body)."""
        return 429, {
            "message": "Rate Limit Exceeded",
            "errors": [{"resource": "Application", "field": "rate limit", "code": "exceeded"}],
        }

    def unauthorized_response(self) -> tuple[int, Any]:
        return 401, self.unauthorized_body()

    def route(self, method: str, path: str, query: dict[str, str], grant: _Grant) -> tuple[int, Any]:
        raise NotImplementedError

    def route_oauth(
        self, method: str, path: str, query: dict[str, str], form: dict[str, str]
    ) -> tuple[int, dict[str, str], Any] | None:
        return None

    # -- rate limits -------------------------------------------------------------------------------------
    def _count_request(self) -> tuple[bool, dict[str, str]]:
        """Count one API request in every window; return (over_limit, headers)."""
        limits = self.config.limits
        if not limits:
            return False, {}
        now = time.time()
        over = False
        usage: dict[str, tuple[int, int]] = {}
        with self._lock:
            for bucket, (short_limit, long_limit) in limits.items():
                counts = []
                for i, (length, limit) in enumerate(
                    zip(self.config.window_lengths_s, (short_limit, long_limit), strict=True)
                ):
                    key = (bucket, i, int(now // length))
                    self._window_counts[key] += 1
                    counts.append(self._window_counts[key])
                    over = over or self._window_counts[key] > limit
                usage[bucket] = (counts[0], counts[1])
        return over, self.rate_limit_headers(usage)

    # -- HTTP plumbing -----------------------------------------------------------------------------------
    def _handler_class(self) -> type[http.server.BaseHTTPRequestHandler]:
        mock = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in separate writes

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                # bytes go out as they are (a file download); anything else as JSON
                raw = isinstance(body, bytes)
                data = b"" if body is None else body if raw else json.dumps(body).encode()
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                if body is not None:
                    content_type = "application/octet-stream" if raw else "application/json; charset=utf-8"
                    self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _form(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                if "json" in (self.headers.get("Content-Type") or "") and raw:
                    try:  # a JSON object body (Polar's user registration) reads like a form
                        body = json.loads(raw)
                    except ValueError:
                        return {}
                    return {str(k): v for k, v in body.items()} if isinstance(body, dict) else {}
                return {k: v[0] for k, v in parse_qs(raw).items()}

            def _dispatch(self, method: str) -> None:
                parsed = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
                form = self._form() if method == "POST" else {}
                mock.request_headers.value = self.headers  # for token endpoints with HTTP Basic client auth
                oauth = mock.route_oauth(method, parsed.path, query, form)
                if oauth is not None:
                    status, headers, body = oauth
                    self._send(status, body, headers)
                    return
                if not parsed.path.startswith(mock.api_prefix):
                    self._send(404, {"message": "Record Not Found"})
                    return
                path = parsed.path[len(mock.api_prefix) :] or "/"
                if form:  # APIs that take their parameters as a POST form (Withings)
                    query = {**query, **form}
                with mock._lock:
                    mock.requests_log.append((method, path, query))
                lo, hi = mock.config.latency_s
                if hi > 0:
                    time.sleep(mock._rng.uniform(lo, hi))
                over, headers = mock._count_request()
                with mock._lock:
                    mock.stats["api_requests"] += 1
                    storm = mock._storm_remaining > 0
                    if storm:
                        mock._storm_remaining -= 1
                    throttled = over or storm
                    forced = mock._fail_next.pop(0) if mock._fail_next and not throttled else None
                    random_failure = (
                        not throttled
                        and mock.config.error_rate > 0
                        and mock._rng.random() < mock.config.error_rate
                    )
                if over or storm:
                    with mock._lock:
                        mock.stats["http_429"] += 1
                    retry = mock._storm_retry_after if storm else None
                    if retry is None and mock.config.send_retry_after and over:
                        length = mock.config.window_lengths_s[0]
                        retry = (int(time.time() // length) + 1) * length - time.time()
                    if retry is not None:
                        headers["Retry-After"] = f"{max(retry, 0):.3f}"
                    self._send(*mock.throttled_response(), headers)
                    return
                if forced or random_failure:
                    status = forced or mock._rng.choice([500, 502, 503])
                    with mock._lock:
                        mock.stats["http_5xx"] += 1
                    self._send(status, {"message": "Service Unavailable"}, headers)
                    return
                grant = mock.check_bearer(self.headers)
                if grant is None:
                    with mock._lock:
                        mock.stats["http_401"] += 1
                    self._send(*mock.unauthorized_response(), headers)
                    return
                status, body = mock.route(method, path, query, grant)
                self._send(status, body, headers)

            def do_GET(self) -> None:  # noqa: N802
                self._dispatch("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._dispatch("POST")

            def do_DELETE(self) -> None:  # noqa: N802
                self._dispatch("DELETE")

        return Handler
