"""The intake queue: accepted notifications, waiting for the sensor that turns them into syncs.

``$OPENFIT_HOME/webhooks/intake.sqlite`` (SQLite in WAL mode: the receiver appends while Dagster's sensor
reads; neither ever opens the warehouse). A delivery's life::

    pending    accepted, its athlete known; waits for the sensor
    unmatched  accepted, but no connected athlete has this provider user id (yet); the sensor looks again
    launched   the sensor asked for a sync run (``run_key``); ``run_id`` once the run exists
    processed  that run succeeded: the athlete's new data is published (``run_id``, ``processed_at``)
    ignored    a data type this provider's source does not load: nothing to sync
    failed     its runs failed ``MAX_ATTEMPTS`` times

``seen`` holds the key of every accepted delivery (its signature or delivery id) for the replay check.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingestion.webhooks.schemes import Notification

MAX_ATTEMPTS = 3
# Keys older than this are forgotten: the freshness window rejects such old deliveries anyway.
SEEN_RETENTION_S = 2 * 86400.0

SCHEMA = """
create table if not exists deliveries (
    id integer primary key autoincrement,
    provider text not null,
    provider_user_id text not null,
    athlete text,
    data_type text not null,
    object_id text,
    event_type text,
    event_time text,
    received_at real not null,
    status text not null,
    run_key text,
    run_id text,
    attempts integer not null default 0,
    launched_at real,
    processed_at real
);
create index if not exists deliveries_status on deliveries (status, provider, athlete);
create index if not exists deliveries_run_key on deliveries (run_key);
create table if not exists seen (
    provider text not null,
    delivery_key text not null,
    received_at real not null,
    primary key (provider, delivery_key)
) without rowid;
"""


def intake_path(home: Path) -> Path:
    return Path(home) / "webhooks" / "intake.sqlite"


@dataclass(frozen=True)
class Delivery:
    id: int
    provider: str
    provider_user_id: str
    athlete: str | None
    data_type: str
    object_id: str | None
    event_type: str | None
    event_time: str | None
    received_at: float
    status: str
    run_key: str | None
    run_id: str | None
    attempts: int
    launched_at: float | None
    processed_at: float | None


class Replay(Exception):  # noqa: N818
    """This delivery's key was accepted before."""


class Intake:
    """The queue. One connection per thread (the receiver answers from a thread pool)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        self._ready = False
        self._ready_lock = threading.Lock()

    @classmethod
    def for_home(cls, home: Path) -> Intake:
        return cls(intake_path(home))

    def _connect(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            con.row_factory = sqlite3.Row
            con.execute("pragma journal_mode=wal")
            con.execute("pragma synchronous=normal")  # WAL + normal: durable across a process crash
            con.execute("pragma busy_timeout=30000")
            self._local.con = con
            with self._ready_lock:
                if not self._ready:
                    con.executescript(SCHEMA)
                    self._ready = True
        return con

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        con.execute("begin immediate")
        try:
            yield con
        except BaseException:
            con.execute("rollback")
            raise
        con.execute("commit")

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    # -- the receiver --------------------------------------------------------------------------------------
    def accept(
        self,
        provider: str,
        delivery_key: str,
        notifications: Iterable[tuple[Notification, str | None, str]],
        now: float | None = None,
    ) -> list[int]:
        """Record a verified delivery: its key (raises :class:`Replay` if seen before) and its notifications,
        each with its athlete (None: unmatched) and initial status; in one transaction. Returns the ids."""
        now = time.time() if now is None else now
        ids = []
        with self._write() as con:
            inserted = con.execute(
                "insert or ignore into seen (provider, delivery_key, received_at) values (?, ?, ?)",
                (provider, delivery_key, now),
            ).rowcount
            if not inserted:
                raise Replay(provider)
            for note, athlete, status in notifications:
                cur = con.execute(
                    "insert into deliveries (provider, provider_user_id, athlete, data_type, object_id, "
                    "event_type, event_time, received_at, status) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        provider,
                        note.provider_user_id,
                        athlete,
                        note.data_type,
                        note.object_id,
                        note.event_type,
                        note.event_time,
                        now,
                        status,
                    ),
                )
                ids.append(int(cur.lastrowid or 0))
        return ids

    def forget_old_keys(self, now: float | None = None, retention_s: float = SEEN_RETENTION_S) -> int:
        now = time.time() if now is None else now
        with self._write() as con:
            return con.execute("delete from seen where received_at < ?", (now - retention_s,)).rowcount

    # -- the sensor ----------------------------------------------------------------------------------------
    def deliveries(
        self, status: str | None = None, provider: str | None = None, limit: int | None = None
    ) -> list[Delivery]:
        sql, args = "select * from deliveries where 1=1", []
        if status is not None:
            sql += " and status = ?"
            args.append(status)
        if provider is not None:
            sql += " and provider = ?"
            args.append(provider)
        sql += " order by id desc" if limit else " order by id"
        if limit:
            sql += f" limit {int(limit)}"
        return [Delivery(**dict(row)) for row in self._connect().execute(sql, args)]

    def counts(self) -> dict[str, int]:
        rows = self._connect().execute("select status, count(*) from deliveries group by status")
        return {status: int(n) for status, n in rows}

    def match(self, delivery_id: int, athlete: str) -> None:
        with self._write() as con:
            con.execute(
                "update deliveries set athlete = ?, status = 'pending' where id = ? and status = 'unmatched'",
                (athlete, delivery_id),
            )

    def set_status(self, ids: Iterable[int], status: str, **fields: Any) -> None:
        ids = list(ids)
        if not ids:
            return
        assignments = ", ".join(["status = ?", *(f"{name} = ?" for name in fields)])
        marks = ",".join("?" * len(ids))
        with self._write() as con:
            con.execute(
                f"update deliveries set {assignments} where id in ({marks})",
                [status, *fields.values(), *ids],
            )

    def launch(self, ids: Iterable[int], run_key: str, now: float | None = None) -> None:
        """The sensor asked for run `run_key` to serve these deliveries."""
        ids = list(ids)
        now = time.time() if now is None else now
        marks = ",".join("?" * len(ids))
        with self._write() as con:
            con.execute(
                f"update deliveries set status = 'launched', run_key = ?, run_id = null, launched_at = ?, "
                f"attempts = attempts + 1 where id in ({marks}) and status = 'pending'",
                [run_key, now, *ids],
            )

    def launched_keys(self) -> dict[str, list[Delivery]]:
        batches: dict[str, list[Delivery]] = {}
        for delivery in self.deliveries("launched"):
            batches.setdefault(delivery.run_key or "", []).append(delivery)
        return batches

    def finish(self, run_key: str, run_id: str, success: bool, now: float | None = None) -> int:
        """The run of `run_key` ended: its deliveries are processed (success), else pending again for another
        run, or failed after MAX_ATTEMPTS. Returns how many deliveries changed."""
        now = time.time() if now is None else now
        with self._write() as con:
            if success:
                return con.execute(
                    "update deliveries set status = 'processed', run_id = ?, processed_at = ? "
                    "where run_key = ? and status = 'launched'",
                    (run_id, now, run_key),
                ).rowcount
            return con.execute(
                "update deliveries set status = case when attempts >= ? then 'failed' else 'pending' end, "
                "run_id = ? where run_key = ? and status = 'launched'",
                (MAX_ATTEMPTS, run_id, run_key),
            ).rowcount

    def note_run(self, run_key: str, run_id: str) -> None:
        with self._write() as con:
            con.execute(
                "update deliveries set run_id = ? where run_key = ? and status = 'launched' and run_id is null",
                (run_id, run_key),
            )

    def release(self, run_key: str) -> int:
        """A launch that never became a run (the daemon stopped first): its deliveries wait again."""
        with self._write() as con:
            return con.execute(
                "update deliveries set status = 'pending', run_key = null where run_key = ? "
                "and status = 'launched' and run_id is null",
                (run_key,),
            ).rowcount
