"""The HTTP client every API source uses: bearer token from the TokenManager, pacing, retries, 401 refresh.

- 429: wait for ``Retry-After`` (or the next rate-limit window) and resume; does not use up the retry budget
  (up to ``max_429`` in a row).
- 5xx and network errors: exponential backoff with full jitter, up to ``max_retries``.
- 401: refresh the token once (under the cross-process lock) and repeat the request.
- Providers that answer HTTP 200 with an error status in the JSON body pass ``body_status``, which maps a body
  to the HTTP status it stands for; that status then takes the same path as a real one (429 waits, 401
  refreshes, 5xx backs off).
Error texts carry method, path and status only: never a token (the token travels in a header).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from ingestion.auth.errors import AuthError
from ingestion.auth.oauth import TokenManager
from ingestion.auth.ratelimit import NullRateLimiter, WindowedRateLimiter

log = logging.getLogger(__name__)


class ApiError(RuntimeError):
    def __init__(self, method: str, path: str, status: int | None, detail: str):
        self.status = status
        super().__init__(f"{method} {path} failed: {detail}")


class ApiClient:
    def __init__(
        self,
        base_url: str,
        tokens: TokenManager,
        limiter: WindowedRateLimiter | None = None,
        *,
        max_retries: int = 6,
        max_429: int = 50,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 60.0,
        timeout_s: float = 30.0,
        pool_size: int = 16,
        body_status: Callable[[Any], int] | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.limiter = limiter or NullRateLimiter()
        self.max_retries = max_retries
        self.max_429 = max_429
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.body_status = body_status
        self._http = httpx.Client(
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size),
            headers={"Accept": "application/json", "User-Agent": "openfit/0.1"},
        )
        self._stats_lock = threading.Lock()
        self.stats: Counter[str] = Counter()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _count(self, key: str) -> None:
        with self._stats_lock:
            self.stats[key] += 1

    def _backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.backoff_cap_s, self.backoff_base_s * 2**attempt))

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._request_json("GET", path, params)

    def post_json(self, path: str, data: dict[str, Any] | None = None) -> Any:
        """POST a form (application/x-www-form-urlencoded) and return the JSON answer."""
        return self._request_json("POST", path, data)

    def _request_json(self, method: str, path: str, params: dict[str, Any] | None) -> Any:
        url = f"{self.base_url}/{path.lstrip('/')}"
        access_token = self.tokens.access_token()
        refreshed_after_401 = False
        failures = 0
        throttled = 0
        while True:
            reservation = self.limiter.acquire()
            try:
                headers = {"Authorization": f"Bearer {access_token}"}
                if method == "POST":
                    resp = self._http.post(url, data=params, headers=headers)
                else:
                    resp = self._http.get(url, params=params, headers=headers)
            except BaseException as exc:
                self.limiter.release(reservation, None)  # never leak an in-flight slot
                if not isinstance(exc, httpx.TransportError):
                    raise
                self._count("network_errors")
                failures += 1
                if failures > self.max_retries:
                    raise ApiError(
                        method, path, None, f"network error after {failures} attempts ({type(exc).__name__})"
                    ) from None
                time.sleep(self._backoff(failures))
                continue
            self.limiter.release(reservation, resp.headers)
            self._count("requests")
            status = resp.status_code
            body: Any = None
            if status < 300 and self.body_status is not None:
                body = resp.json()
                status = self.body_status(body)
                if status >= 300:
                    self._count("body_errors")
            if status == 429:
                self._count("http_429")
                throttled += 1
                if throttled > self.max_429:
                    raise ApiError(method, path, 429, f"still rate limited after {throttled} waits")
                self.limiter.on_429(_retry_after(resp.headers.get("Retry-After")))
                continue
            if status == 401:
                self._count("http_401")
                if refreshed_after_401:
                    raise AuthError(
                        f"{method} {path}: the provider rejects a freshly refreshed token (HTTP 401)"
                    )
                access_token = self.tokens.after_unauthorized(access_token)
                refreshed_after_401 = True
                continue
            if status >= 500:
                self._count("http_5xx")
                failures += 1
                if failures > self.max_retries:
                    raise ApiError(method, path, status, f"HTTP {status} after {failures} attempts")
                delay = self._backoff(failures)
                log.info("%s %s: HTTP %d, retry %d in %.2fs", method, path, status, failures, delay)
                time.sleep(delay)
                continue
            if status >= 400:
                detail = "error status in the response body" if body is not None else resp.text[:200]
                raise ApiError(method, path, status, f"HTTP {status}: {detail}")
            return body if body is not None else resp.json()


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # HTTP-date form: fall back to the window boundary
