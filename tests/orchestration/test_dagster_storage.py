"""The event log storage that keeps its SQLite connections open (orchestration/dagster_storage.py): what one
process writes, another reads; the UI's file watcher still sees a run's new events; and a wipe leaves no
connection writing to deleted files."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as db
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration.dagster_storage import RUN_ENGINES_KEPT, PooledSqliteEventLogStorage


def _entry(run_id: str, message: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None,
        level=logging.INFO,
        user_message=message,
        run_id=run_id,
        timestamp=time.time(),
    )


def test_events_written_with_open_connections_are_read_by_the_stock_storage(tmp_path: Path) -> None:
    writer = PooledSqliteEventLogStorage(str(tmp_path))
    reader = SqliteEventLogStorage(str(tmp_path))
    run_id = str(uuid.uuid4())
    for i in range(50):
        writer.store_event(_entry(run_id, f"event {i}"))
    logs = reader.get_logs_for_run(run_id)
    assert [entry.user_message for entry in logs] == [f"event {i}" for i in range(50)]
    with writer._engine(run_id).connect() as conn:  # WAL with synchronous=NORMAL (1) on every connection
        assert conn.execute(db.text("PRAGMA synchronous")).scalar() == 1
        assert conn.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
    writer.dispose()
    reader.dispose()


def test_a_watcher_of_the_run_sees_new_events_while_the_connection_stays_open(tmp_path: Path) -> None:
    writer = PooledSqliteEventLogStorage(str(tmp_path))
    run_id = str(uuid.uuid4())
    writer.store_event(_entry(run_id, "before the watch"))  # the run's database exists
    watcher = SqliteEventLogStorage(str(tmp_path))
    seen: list[str] = []
    arrived = threading.Event()

    def on_event(entry: EventLogEntry, _cursor: str) -> None:
        seen.append(entry.user_message)
        if entry.user_message == "while watched":
            arrived.set()

    watcher.watch(run_id, None, on_event)
    try:
        time.sleep(0.5)  # the observer thread is watching
        writer.store_event(_entry(run_id, "while watched"))
        assert arrived.wait(15), f"the watcher saw {seen}"
    finally:
        watcher.end_watch(run_id, on_event)
        watcher.dispose()
        writer.dispose()


def test_finished_runs_do_not_keep_their_connections_and_wipe_closes_everything(tmp_path: Path) -> None:
    writer = PooledSqliteEventLogStorage(str(tmp_path))
    runs = [str(uuid.uuid4()) for _ in range(RUN_ENGINES_KEPT + 3)]
    for run_id in runs:
        writer.store_event(_entry(run_id, "one"))
    kept = [shard for shard in writer._engines if shard != "index"]
    assert kept == runs[-RUN_ENGINES_KEPT:]
    writer.wipe()
    assert [shard for shard in writer._engines if shard != "index"] == []  # the index file is kept, emptied
    assert not list(tmp_path.glob(f"{runs[-1]}.db*"))
    writer.store_event(_entry(runs[-1], "after the wipe"))  # a new file, not a deleted one still open
    assert [e.user_message for e in SqliteEventLogStorage(str(tmp_path)).get_logs_for_run(runs[-1])] == [
        "after the wipe"
    ]
    writer.dispose()
