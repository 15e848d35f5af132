"""WindowedRateLimiter with a fake clock: header adoption, window caps, boundary in-flight charge, 429s."""

from __future__ import annotations

import pytest

from ingestion.auth.ratelimit import RateLimitExhausted, WindowedRateLimiter


class FakeClock:
    def __init__(self, start: float = 1000.0):
        self.now = start
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


def headers(short_usage: int, day_usage: int, limit: tuple[int, int] = (10, 100)) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": f"{limit[0] * 2},{limit[1] * 2}",
        "X-RateLimit-Usage": f"{short_usage},{day_usage}",
        "X-ReadRateLimit-Limit": f"{limit[0]},{limit[1]}",
        "X-ReadRateLimit-Usage": f"{short_usage},{day_usage}",
    }


def make(clock: FakeClock, **kwargs: object) -> WindowedRateLimiter:
    return WindowedRateLimiter(window_lengths_s=(15.0, 1440.0), clock=clock, sleep=clock.sleep, **kwargs)


def test_caps_each_window_at_the_read_limit_then_waits_for_rollover() -> None:
    clock = FakeClock(start=1500.0)  # window [1500, 1515)
    limiter = make(clock)
    for i in range(10):
        reservation = limiter.acquire()
        limiter.release(reservation, headers(i + 1, i + 1))
    assert clock.slept == 0
    limiter.acquire()  # the 11th read must wait for the next 15-second window
    assert clock.now >= 1515.0
    assert limiter.ceiling_rps() == pytest.approx(10 / 15)


def test_adopts_higher_server_usage_from_other_consumers() -> None:
    clock = FakeClock(start=1500.0)
    limiter = make(clock)
    limiter.release(limiter.acquire(), headers(9, 9))  # another process already used 8 reads
    limiter.release(limiter.acquire(), headers(10, 10))
    limiter.acquire()
    assert clock.now >= 1515.0


def test_inflight_requests_are_charged_to_the_new_window() -> None:
    clock = FakeClock(start=1514.9)
    limiter = make(clock)
    limiter.release(limiter.acquire(), headers(1, 1))
    pending = [limiter.acquire() for _ in range(3)]  # still in flight when the window rolls
    clock.now = 1515.2
    for _ in range(7):
        limiter.release(limiter.acquire(), None)
    before = clock.now
    limiter.acquire()  # 3 in-flight + 7 new = 10 = limit: must wait
    assert clock.now > before
    for reservation in pending:
        limiter.release(reservation, None)


def test_stale_usage_from_previous_window_is_ignored() -> None:
    clock = FakeClock(start=1514.0)
    limiter = make(clock)
    limiter.release(limiter.acquire(), headers(1, 1))
    late = limiter.acquire()
    clock.now = 1515.5
    limiter.release(late, headers(10, 10))  # the server counted it in the old window
    start = clock.now
    limiter.acquire()
    assert clock.now == start  # new window not blocked by the stale report


def test_daily_limit_exhaustion_raises_when_wait_exceeds_max() -> None:
    clock = FakeClock(start=1500.0)
    limiter = make(clock, max_wait_s=60.0)
    limiter.release(limiter.acquire(), headers(1, 100))
    with pytest.raises(RateLimitExhausted, match="next request allowed in"):
        limiter.acquire()


def test_429_blocks_until_retry_after_or_next_window() -> None:
    clock = FakeClock(start=1500.0)
    limiter = make(clock)
    limiter.on_429(2.5)
    limiter.release(limiter.acquire(), None)
    assert clock.now == pytest.approx(1502.5, abs=0.05)
    limiter.on_429(None)
    limiter.release(limiter.acquire(), None)
    assert clock.now >= 1515.0
