"""The running build's progress, for readers: `serving/build_progress.json`.

The writer (orchestration/build.py) replaces this small file atomically as a run moves through its stages; the
dashboards read it to say "a build is running" (the first demo build, the demo's history being extended in the
background) without ever opening the writer's DuckDB file or Dagster's storage. Light on purpose: readers
import it, so it imports nothing heavy.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openfit.settings import Settings

FILE_NAME = "build_progress.json"
WRITE_EVERY_S = 1.0  # at most one rewrite per second from the per-step events


def progress_path(settings: Settings) -> Path:
    return settings.serving_dir / FILE_NAME


def read_progress(settings: Settings) -> dict[str, Any] | None:
    """The last written progress, or None when no build ever wrote one (or the file is being replaced)."""
    try:
        return json.loads(progress_path(settings).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ProgressFile:
    """Writes one run's progress: started, each stage message (throttled), finished with its outcome."""

    def __init__(self, settings: Settings, label: str):
        self.path = progress_path(settings)
        self.state: dict[str, Any] = {
            "label": label,
            "pid": os.getpid(),
            "started_at": _now(),
            "stage": "starting",
            "message": "",
            "finished_at": None,
            "outcome": None,
        }
        self._written_at = 0.0
        self._write()

    def update(self, stage: str, message: str) -> None:
        self.state.update(stage=stage, message=message)
        if time.monotonic() - self._written_at >= WRITE_EVERY_S:
            self._write()

    def finish(self, success: bool, failure: str | None = None) -> None:
        self.state.update(
            finished_at=_now(), outcome="published" if success else "failed", message=failure or ""
        )
        self._write()

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.state))
        os.replace(tmp, self.path)  # readers see the old or the new file, never half of one
        self._written_at = time.monotonic()


def is_running(progress: dict[str, Any] | None) -> bool:
    """True while the run that wrote `progress` has not finished and its process is alive."""
    if not progress or progress.get("finished_at"):
        return False
    try:
        pid = int(progress["pid"])
    except (KeyError, ValueError, TypeError):
        return False
    return process_alive(pid)  # False: killed mid-run, nothing is running any more


def process_alive(pid: int) -> bool:
    """Whether a process of this host with this pid exists (also used for the writer slots, orchestration/instance.py)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
