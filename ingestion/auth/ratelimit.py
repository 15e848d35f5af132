"""Client-side pacing from the provider's own rate-limit headers.

Strava reports its limits per application in two header pairs, each a comma list over two fixed windows
(15 minutes aligned to the quarter hour, and the UTC day)::

    X-RateLimit-Limit: 200,2000        X-RateLimit-Usage: 17,512      (all requests)
    X-ReadRateLimit-Limit: 100,1000    X-ReadRateLimit-Usage: 9,300   (reads)

:class:`WindowedRateLimiter` keeps a count per (header pair, window), adopts the server's usage whenever it is
higher (other processes and apps share the quota), and never lets a window's count pass its limit: requests
go out as fast as the workers can send them until a window's budget is spent, then wait for the window to roll
over, so a backfill runs at the ceiling (limit / window) and a small daily sync is not slowed at all. Requests
still in flight at a window boundary are charged to the new window too, because the server may count them there. Thread-safe: one limiter serves a pool of workers.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


class RateLimitExhausted(RuntimeError):
    """The next slot is further away than the caller is willing to wait (e.g. the daily quota is spent)."""

    def __init__(self, wait_s: float):
        self.wait_s = wait_s
        super().__init__(f"rate limit exhausted; next request allowed in {wait_s:.0f}s")


@dataclass
class _Window:
    length_s: float
    limit: int | None = None
    window_id: int = -1
    count: int = 0


@dataclass
class _Bucket:
    limit_header: str
    usage_header: str
    windows: list[_Window] = field(default_factory=list)


@dataclass(frozen=True)
class Reservation:
    """A granted slot; hand it back to :meth:`WindowedRateLimiter.release` with the response headers."""

    sent_at: float


class WindowedRateLimiter:
    def __init__(
        self,
        header_pairs: Sequence[tuple[str, str]] = (
            ("X-RateLimit-Limit", "X-RateLimit-Usage"),
            ("X-ReadRateLimit-Limit", "X-ReadRateLimit-Usage"),
        ),
        window_lengths_s: Sequence[float] = (900.0, 86400.0),
        max_wait_s: float = math.inf,
        safety_margin: int = 0,
        known_limits: Sequence[int] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.buckets = [
            _Bucket(lh, uh, [_Window(length) for length in window_lengths_s]) for lh, uh in header_pairs
        ]
        self.max_wait_s = max_wait_s
        self.safety_margin = safety_margin
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._inflight = 0
        self._blocked_until = 0.0
        self._limits_known = False
        self.waited_s = 0.0
        if known_limits is not None:
            # Documented limits for a provider whose headers this limiter cannot read: one per window, for
            # every bucket; pacing starts with the first request instead of after the first 429.
            for bucket in self.buckets:
                for window, limit in zip(bucket.windows, known_limits, strict=False):
                    window.limit = limit
            self._limits_known = True

    # -- bookkeeping -------------------------------------------------------------------------------------
    def _roll(self, now: float) -> None:
        for bucket in self.buckets:
            for window in bucket.windows:
                wid = int(now // window.length_s)
                if wid != window.window_id:
                    window.window_id = wid
                    # requests still in flight may be counted by the server in the new window
                    window.count = self._inflight

    def _wait_needed(self, now: float) -> float:
        wait = max(0.0, self._blocked_until - now)
        for bucket in self.buckets:
            for window in bucket.windows:
                if window.limit is not None and window.count >= window.limit - self.safety_margin:
                    window_end = (window.window_id + 1) * window.length_s
                    wait = max(wait, window_end - now + 0.01)
        return wait

    # -- API ---------------------------------------------------------------------------------------------
    def acquire(self) -> Reservation:
        """Block until a request may be sent; raise RateLimitExhausted if that is more than max_wait_s away."""
        while True:
            with self._lock:
                now = self._clock()
                self._roll(now)
                # Until the first response tells us the limits, send one probe at a time.
                wait = self._wait_needed(now)
                if not self._limits_known and self._inflight > 0:
                    wait = max(wait, 0.005)
                if wait <= 0:
                    for bucket in self.buckets:
                        for window in bucket.windows:
                            window.count += 1
                    self._inflight += 1
                    return Reservation(sent_at=now)
                if wait > self.max_wait_s:
                    raise RateLimitExhausted(wait)
            self.waited_s += wait
            self._sleep(min(wait, 1.0))

    def release(self, reservation: Reservation, headers: Mapping[str, str] | None) -> None:
        """Account a finished request; adopt the limits and usage the server reported."""
        with self._lock:
            self._inflight = max(0, self._inflight - 1)
            if not headers:
                return
            now = self._clock()
            self._roll(now)
            for bucket in self.buckets:
                limits = _parse_pair(headers.get(bucket.limit_header))
                usages = _parse_pair(headers.get(bucket.usage_header))
                if limits is None:
                    continue
                self._limits_known = True
                for i, window in enumerate(bucket.windows):
                    if i < len(limits):
                        window.limit = limits[i]
                    # A response to a request sent in an earlier window may report that window's usage;
                    # adopt usage only when request and response fall in the same window.
                    same_window = int(reservation.sent_at // window.length_s) == window.window_id
                    if usages is not None and i < len(usages) and same_window:
                        window.count = max(window.count, usages[i])

    def on_429(self, retry_after_s: float | None) -> None:
        """The server refused: block everyone until Retry-After, or the start of the next short window."""
        with self._lock:
            now = self._clock()
            if retry_after_s is None:
                length = self.buckets[0].windows[0].length_s if self.buckets else 1.0
                retry_after_s = (math.floor(now / length) + 1) * length - now + 0.01
            self._blocked_until = max(self._blocked_until, now + retry_after_s)

    def ceiling_rps(self) -> float | None:
        """Requests per second allowed by the binding short window (None until a response told us)."""
        rates = [b.windows[0].limit / b.windows[0].length_s for b in self.buckets if b.windows[0].limit]
        return min(rates) if rates else None


def _parse_pair(value: str | None) -> list[int] | None:
    if not value:
        return None
    try:
        return [int(part.strip()) for part in value.split(",")]
    except ValueError:
        return None


class NullRateLimiter(WindowedRateLimiter):
    """For providers without rate-limit headers: never waits except after a 429."""

    def __init__(self, **kwargs: object):
        super().__init__(header_pairs=(), window_lengths_s=(), **kwargs)  # type: ignore[arg-type]
        self._limits_known = True


class FixedWindowRateLimiter(WindowedRateLimiter):
    """For providers that publish a fixed quota but send no rate-limit headers (e.g. N requests per minute):
    the limit is known up front, windows are aligned to the clock, and a 429 still blocks until Retry-After
    or the next window."""

    def __init__(self, limit: int, window_s: float, **kwargs: object):
        super().__init__(header_pairs=(("", ""),), window_lengths_s=(window_s,), **kwargs)  # type: ignore[arg-type]
        self.buckets[0].windows[0].limit = limit
        self._limits_known = True
