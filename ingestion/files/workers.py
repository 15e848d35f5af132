"""Decode files in isolated worker processes, each with a memory limit and a per-file time limit.

A worker that crashes (a native decoder aborting on a hostile file, the memory limit hit inside Rust code) or
runs past the time limit is killed and replaced; only that file is quarantined, the batch goes on. Workers are
forked from a forkserver that has already imported and warmed the decoders, so a fresh worker costs a few
milliseconds, and they do not inherit the parent's threads (DuckDB, Dagster).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import resource
import sys
import threading
import time
import types
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from ingestion.files.model import DecodedFile, quarantined

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MEMORY_LIMIT_MB = 2048


@dataclass(frozen=True)
class DecodeJob:
    key: str  # caller's identifier (e.g. the sha256)
    path: str  # file to decode (e.g. the blob path)
    name: str = ""  # original name, for messages and format hints


# Large inputs (a multi-gigabyte Apple Health export) get time on top of the per-file limit: one second per
# 10 MB beyond the first 100 MB, far below the decoders' real speed, so only a stuck decoder hits the limit.
_ALLOWANCE_FREE_BYTES = 100 * 1024 * 1024
_ALLOWANCE_BYTES_PER_S = 10 * 1024 * 1024


def _size_allowance_s(path: str) -> float:
    try:
        size = os.path.getsize(path)
    except OSError:
        return 0.0
    return max(0, size - _ALLOWANCE_FREE_BYTES) / _ALLOWANCE_BYTES_PER_S


def _current_address_space() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _send_stderr_to(log_path: str | None) -> None:
    """Point this process's file descriptor 2 at the decoder log. A native decoder's panic (Rust's panic hook
    writes the message and a backtrace straight to fd 2) then lands in the log, not on the user's terminal;
    the file's reason still names the panic."""
    if log_path is None:
        return
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log_fd, 2)
    os.close(log_fd)


def _worker_main(conn: Connection, memory_limit_mb: int, stderr_log: str | None = None) -> None:
    from ingestion.files.decode import decode_path

    _send_stderr_to(stderr_log)

    if memory_limit_mb > 0:
        # Address-space limit on top of what the (preloaded) interpreter already maps.
        limit = _current_address_space() + memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            result = decode_path(job.path, job.name)
        except MemoryError:
            result = quarantined(
                "unknown", f"refused: decoding needed more than the {memory_limit_mb} MB memory limit"
            )
        except Exception as exc:  # a decoder bug must cost one file, not the batch
            result = quarantined("unknown", f"decoder error: {type(exc).__name__}: {str(exc)[:300]}")
        try:
            conn.send((job.key, result))
        except MemoryError:
            conn.send((job.key, quarantined("unknown", "refused: decoded result exceeds the memory limit")))


_MAIN_SWAP = threading.Lock()


@contextlib.contextmanager
def _workers_skip_main_module() -> Iterator[None]:
    """A forkserver child re-runs the parent's `__main__` file before it starts (multiprocessing's "safe
    importing of main"). Our workers need nothing from it, and whatever `__main__` happens to be (a Streamlit
    script under test, a notebook, a tool's entry script) may fail or be slow there. While a worker starts,
    `__main__` looks like an interactive session, which multiprocessing leaves alone."""
    with _MAIN_SWAP:
        real_main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = real_main


class _Worker:
    def __init__(self, ctx, memory_limit_mb: int, stderr_log: str | None = None) -> None:
        parent, child = ctx.Pipe()
        self.conn = parent
        self.process = ctx.Process(
            target=_worker_main, args=(child, memory_limit_mb, stderr_log), daemon=True
        )
        with _workers_skip_main_module():
            self.process.start()
        child.close()
        self.job: DecodeJob | None = None
        self.deadline = 0.0

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError, BrokenPipeError):
                self.conn.send(None)
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _context():
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["ingestion.files.warm"])
    return ctx


class IsolatedDecoder:
    """A small pool of decoding processes. Use as a context manager; `decode(jobs)` yields (job, result).

    `stderr_log`: a file the workers' standard error is appended to (decoder panics and their backtraces);
    None leaves it on the parent's."""

    def __init__(
        self,
        workers: int | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
        stderr_log: str | Path | None = None,
    ) -> None:
        self.n_workers = max(1, workers or min(2, os.cpu_count() or 1))
        self.timeout_s = timeout_s
        self.memory_limit_mb = memory_limit_mb
        self.stderr_log = None if stderr_log is None else str(stderr_log)
        self._ctx = _context()
        self._workers: list[_Worker] = []
        self._starter: threading.Thread | None = None

    def __enter__(self) -> IsolatedDecoder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._wait_for_start()
        for worker in self._workers:
            worker.stop()
        self._workers = []

    def start(self, background: bool = False) -> IsolatedDecoder:
        """Start the workers now instead of at the first decode; with `background`, in a thread, so the
        forkserver's imports overlap the caller's own setup (the first start waits for them)."""
        if background:
            self._starter = threading.Thread(target=self.start, name="decoder-pool-start", daemon=True)
            self._starter.start()
            return self
        while len(self._workers) < self.n_workers:
            self._workers.append(self._spawn())
        return self

    def _wait_for_start(self) -> None:
        starter, self._starter = self._starter, None
        if starter is not None:
            starter.join()

    def _spawn(self) -> _Worker:
        return _Worker(self._ctx, self.memory_limit_mb, self.stderr_log)

    def decode(self, jobs: Iterable[DecodeJob]) -> Iterator[tuple[DecodeJob, DecodedFile]]:
        pending = deque(jobs)
        if not pending:
            return
        self._wait_for_start()
        while len(self._workers) < min(self.n_workers, len(pending)):
            self._workers.append(self._spawn())
        idle = list(self._workers)
        busy: dict[Connection, _Worker] = {}
        while pending or busy:
            while pending and idle:
                worker = idle.pop()
                job = pending.popleft()
                worker.job = job
                worker.deadline = time.monotonic() + self.timeout_s + _size_allowance_s(job.path)
                worker.conn.send(job)
                busy[worker.conn] = worker
            timeout = max(0.0, min(w.deadline for w in busy.values()) - time.monotonic())
            ready = wait(list(busy), timeout=timeout)
            for conn in ready:
                worker = busy.pop(conn)
                job = worker.job
                try:
                    _key, result = conn.recv()
                except (EOFError, OSError):
                    worker.process.join(timeout=5)
                    code = worker.process.exitcode
                    result = quarantined(
                        "unknown",
                        f"decoder process died (exit code {code}) on this file; likely a decoder crash or the "
                        f"{self.memory_limit_mb} MB memory limit",
                    )
                    worker = self._replace(worker)
                idle.append(worker)
                yield job, result
            now = time.monotonic()
            for conn, worker in list(busy.items()):
                if worker.deadline <= now:
                    busy.pop(conn)
                    job = worker.job
                    worker = self._replace(worker, kill=True)
                    idle.append(worker)
                    yield (
                        job,
                        quarantined(
                            "unknown", f"refused: decoding exceeded the {self.timeout_s:g} s time limit"
                        ),
                    )

    def _replace(self, worker: _Worker, kill: bool = True) -> _Worker:
        worker.stop(kill=kill)
        fresh = self._spawn()
        self._workers[self._workers.index(worker)] = fresh
        return fresh


def decode_files(
    paths: Iterable[str | Path],
    workers: int | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB,
) -> list[tuple[str, DecodedFile]]:
    """Decode files in isolated workers; results in input order."""
    jobs = [DecodeJob(str(p), str(p), Path(p).name) for p in paths]
    results: dict[str, DecodedFile] = {}
    with IsolatedDecoder(workers, timeout_s, memory_limit_mb) as pool:
        for job, result in pool.decode(jobs):
            results[job.key] = result
    return [(job.key, results[job.key]) for job in jobs]
