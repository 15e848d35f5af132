"""Concurrency limits per API key, so one key's load cannot starve the others.

Every synchronous route and MCP tool runs on one shared thread pool; a key that keeps it busy (45 ten-second
query_sql calls, 100 open GET /mcp streams, six exports) made every other key's reads wait. The rate limit
counts requests, not how long they hold the server, so long calls are also counted while they run here:

- heavy MCP tools (query_sql): `api_heavy_calls_per_key` at once per key, `api_heavy_calls_total` over all keys;
- open GET /mcp streams: `api_mcp_streams_per_key` and `api_mcp_streams_total`;
- /v1/export downloads: `api_exports_per_key` and `api_exports_total`.

A full limit answers at once with 429 and Retry-After (never queues), so a refused call holds nothing.
The heavy calls that are let in run on their own threads at a lower CPU priority (`run_heavy`): on a small
machine two CPU-bound queries would otherwise take the cores from every other key's short reads.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TypeVar

from api.errors import ApiError
from openfit.settings import Settings


class ConcurrencyLimit:
    """At most `per_key` calls in progress per key and `total` over all keys. Thread-safe."""

    def __init__(self, what: str, *, per_key: int, total: int, retry_after_s: int) -> None:
        self.what = what
        self.per_key = per_key
        self.total = total
        self.retry_after_s = retry_after_s
        self._by_key: dict[str, int] = {}
        self._in_progress = 0
        self._lock = threading.Lock()

    def acquire(self, key_id: str) -> None:
        """Takes a slot for `key_id`, or raises ApiError 429 (the message names the limit, never the key)."""
        with self._lock:
            held = self._by_key.get(key_id, 0)
            if held >= self.per_key:
                raise self._refusal(
                    f"this key already has {held} {self.what} in progress (at most {self.per_key})"
                )
            if self._in_progress >= self.total:
                raise self._refusal(
                    f"the server already has {self._in_progress} {self.what} in progress "
                    f"(at most {self.total})"
                )
            self._by_key[key_id] = held + 1
            self._in_progress += 1

    def release(self, key_id: str) -> None:
        with self._lock:
            held = self._by_key.get(key_id, 0)
            if held <= 0:
                return
            if held == 1:
                del self._by_key[key_id]
            else:
                self._by_key[key_id] = held - 1
            self._in_progress -= 1

    @contextmanager
    def slot(self, key_id: str) -> Iterator[None]:
        self.acquire(key_id)
        try:
            yield
        finally:
            self.release(key_id)

    def in_progress(self, key_id: str | None = None) -> int:
        with self._lock:
            return self._in_progress if key_id is None else self._by_key.get(key_id, 0)

    def _refusal(self, message: str) -> ApiError:
        return ApiError(
            429,
            "rate_limited",
            f"{message}; retry when one has finished",
            {"retry_after_s": self.retry_after_s},
            headers={"Retry-After": str(self.retry_after_s)},
        )


@dataclass(frozen=True)
class ReadLimits:
    heavy_calls: ConcurrencyLimit
    mcp_streams: ConcurrencyLimit
    exports: ConcurrencyLimit

    @classmethod
    def from_settings(cls, settings: Settings) -> ReadLimits:
        return cls(
            heavy_calls=ConcurrencyLimit(
                "query_sql calls",
                per_key=settings.api_heavy_calls_per_key,
                total=settings.api_heavy_calls_total,
                retry_after_s=2,
            ),
            mcp_streams=ConcurrencyLimit(
                "open GET /mcp streams",
                per_key=settings.api_mcp_streams_per_key,
                total=settings.api_mcp_streams_total,
                retry_after_s=30,
            ),
            exports=ConcurrencyLimit(
                "exports",
                per_key=settings.api_exports_per_key,
                total=settings.api_exports_total,
                retry_after_s=30,
            ),
        )


# MCP tools whose calls may run for seconds (the ones the heavy-call limit counts).
HEAVY_TOOLS = frozenset({"query_sql"})


T = TypeVar("T")
# How much lower heavy work runs than the reads (Linux nice value, 0..19); its threads keep it for good. At 19
# a busy core gives the reads nearly all its time; the heavy call still gets every idle cycle, and its wall-clock
# time limit is unchanged (benchmarks/api_fairness.py on 2 shared cores: B's p95 moved 2.25x with 10, 0.79x and
# 1.39x in two runs with 19).
HEAVY_NICENESS = 19
_heavy_pool: ThreadPoolExecutor | None = None
_heavy_pool_lock = threading.Lock()


def _lower_this_threads_priority() -> None:
    # On Linux a thread is a task with its own nice value; elsewhere this would renice the whole process.
    if sys.platform == "linux":
        with suppress(OSError):  # not allowed here: the call still runs, at normal priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HEAVY_NICENESS)


def run_heavy(workers: int, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    """Runs `fn` on the heavy-work threads (created once, `workers` of them, at a lower priority) and waits."""
    global _heavy_pool
    with _heavy_pool_lock:
        if _heavy_pool is None:
            _heavy_pool = ThreadPoolExecutor(
                max_workers=workers,
                thread_name_prefix="openfit-heavy",
                initializer=_lower_this_threads_priority,
            )
    return _heavy_pool.submit(fn, *args, **kwargs).result()
