"""Dagster's event log: the stock SQLite storage (a new engine and connection per event, each close a WAL
checkpoint and sync) against OpenFit's (orchestration/dagster_storage.py: connections kept open, WAL with
synchronous=NORMAL), side by side in one run on the same disk.

    uv run python benchmarks/event_log.py [--events 500]

Each storage writes the same events for one run (a plain log event per step, and asset materializations,
which Dagster also mirrors into the index database), as a build's steps do. Prints a table and a JSON line.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
import uuid

import openfit  # noqa: F401  (telemetry off)


def _events(run_id: str, count: int) -> list:
    import dagster as dg
    from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
    from dagster._core.events.log import EventLogEntry

    events = []
    for i in range(count):
        if i % 2:
            events.append(
                EventLogEntry(
                    error_info=None, level=logging.INFO, user_message=f"step {i}", run_id=run_id,
                    timestamp=time.time(),
                )
            )  # fmt: skip
        else:
            event = DagsterEvent(
                event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
                job_name="bench",
                event_specific_data=StepMaterializationData(
                    dg.AssetMaterialization(asset_key=["bench", f"table_{i % 50}"], metadata={"rows": i})
                ),
            )
            events.append(
                EventLogEntry(
                    error_info=None, level=logging.INFO, user_message="", run_id=run_id,
                    timestamp=time.time(), dagster_event=event, job_name="bench",
                )
            )  # fmt: skip
    return events


def _seconds(storage_cls, count: int) -> float:
    storage = storage_cls(tempfile.mkdtemp(prefix="openfit-event-log-"))
    run_id = str(uuid.uuid4())
    events = _events(run_id, count)
    started = time.perf_counter()
    for entry in events:
        storage.store_event(entry)
    elapsed = time.perf_counter() - started
    assert len(storage.get_logs_for_run(run_id)) == count
    storage.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    args = parser.parse_args()
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    from orchestration.dagster_storage import PooledSqliteEventLogStorage

    stock = _seconds(SqliteEventLogStorage, args.events)
    pooled = _seconds(PooledSqliteEventLogStorage, args.events)
    print(f"{'storage':<34}{'seconds':>10}{'ms / event':>12}")
    print(f"{'dagster SqliteEventLogStorage':<34}{stock:>10.2f}{stock / args.events * 1000:>12.2f}")
    print(f"{'openfit PooledSqliteEventLogStorage':<34}{pooled:>10.2f}{pooled / args.events * 1000:>12.2f}")
    print(f"{'speed-up':<34}{stock / pooled:>10.1f}x")
    print(
        json.dumps(
            {
                "benchmark": "event_log",
                "events": args.events,
                "stock_ms_per_event": round(stock / args.events * 1000, 2),
                "pooled_ms_per_event": round(pooled / args.events * 1000, 2),
                "speedup": round(stock / pooled, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
