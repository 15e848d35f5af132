"""How OpenFit runs dbt: the project location, its environment and variables, the parsed project, and an
in-process invocation.

dbt runs in the writer's process (dbtRunner), not as a child process: a child pays ~4.5 s of start-up per call
and re-parses the project (~6 s) whenever its vars differ from the last parse. Here the project is parsed once
per (project files, vars) and the parsed manifest is reused for every build in this process; the parse also
writes target/manifest.json, which the Dagster code location reads for the asset graph.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# DBT_VAR_SETTINGS: settings that dbt receives as vars of the same name (transform/dbt_project.yml declares them).
from openfit.settings import DBT_PROJECT_DIR, DBT_VAR_SETTINGS, Settings, get_settings


def target_dir() -> Path:
    """dbt's target folder: DBT_TARGET_PATH when set (dbt reads it too; each parallel test worker gets its own,
    so two dbt runs never write one manifest), else transform/target."""
    return Path(os.environ.get("DBT_TARGET_PATH") or DBT_PROJECT_DIR / "target")


def manifest_path() -> Path:
    return target_dir() / "manifest.json"


def manifest_fingerprint_path() -> Path:
    """Written beside the manifest: the fingerprint (project files + vars) it was parsed from."""
    return target_dir() / "openfit_manifest_fingerprint"


PROJECT_GLOBS = ("models/**/*", "macros/**/*", "seeds/**/*", "tests/**/*", "*.yml")


def dbt_env(settings: Settings | None = None) -> dict[str, str]:
    """Environment variables the dbt profile reads."""
    settings = settings or get_settings()
    return {
        "OPENFIT_WAREHOUSE_PATH": str(settings.warehouse_path),
        # Only the snapshot_docs target reads it (orchestration/data_docs.py), read-only.
        "OPENFIT_SNAPSHOT_PATH": str(settings.snapshot_path),
        "OPENFIT_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
    }


def apply_dbt_env(settings: Settings | None = None) -> None:
    os.environ.update(dbt_env(settings))
    _parse_independent_of_the_warehouse_path()


def _parse_independent_of_the_warehouse_path() -> None:
    """dbt parses the whole project again (~7 s more than a partial parse) whenever the profile's connection
    info differs from the last parse's, and the warehouse's path is part of it: every process working on another
    home (each test's, a second user's) paid a full parse. Parsing does not depend on where the file lies, so
    the path is left out of the connection info dbt compares (dbt-duckdb's credentials, patched in this
    process only; dbt's own CLI is unchanged)."""
    from dbt.adapters.duckdb.credentials import DuckDBCredentials

    keys = DuckDBCredentials._connection_keys
    if getattr(keys, "leaves_out_path", False):
        return

    def _connection_keys(self: Any) -> tuple[str, ...]:
        return tuple(key for key in keys(self) if key != "path")

    _connection_keys.leaves_out_path = True  # type: ignore[attr-defined]
    DuckDBCredentials._connection_keys = _connection_keys  # type: ignore[method-assign]


def dbt_vars(settings: Settings | None = None) -> dict[str, str | int | list]:
    """Algorithm choices from settings, passed to every dbt invocation as --vars (never edited in code)."""
    settings = settings or get_settings()
    values: dict[str, str | int | list] = {}
    for name in DBT_VAR_SETTINGS:
        value = getattr(settings, name)
        values[name] = "" if value is None else value if isinstance(value, int) else str(value)
    values["daily_source_overrides"] = [entry.model_dump() for entry in settings.daily_source_overrides]
    return values


def dbt_vars_arg(settings: Settings | None = None) -> list[str]:
    return ["--vars", json.dumps(dbt_vars(settings), sort_keys=True)]


def dbt_executable() -> str:
    """The dbt next to this interpreter, so `openfit` works without an activated venv."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def project_files_digest() -> str:
    """A digest of every project file (path, content)."""
    digest = hashlib.sha256()
    for pattern in PROJECT_GLOBS:
        for path in sorted(DBT_PROJECT_DIR.glob(pattern)):
            if path.is_file() and "target" not in path.parts:
                digest.update(str(path.relative_to(DBT_PROJECT_DIR)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


def project_fingerprint(settings: Settings | None = None) -> str:
    """A digest of every project file and the vars: equal fingerprints parse to the same manifest."""
    digest = hashlib.sha256(project_files_digest().encode())
    digest.update(json.dumps(dbt_vars(settings), sort_keys=True).encode())
    return digest.hexdigest()[:24]


def analytics_digest() -> str:
    """A digest of the analytics package's code, which the Python models call."""
    import analytics

    digest = hashlib.sha256()
    for path in sorted(Path(analytics.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


def build_fingerprint(settings: Settings | None = None) -> str:
    """What a build was made with, as JSON {files, vars}: an incremental build is valid on top of a build with
    the same files; when only vars differ, the models that read them are rebuilt (models_reading_vars). The files
    are the dbt project's and the analytics code's: the marts recompute only the changed athletes, so a changed
    formula needs a full build to reach every athlete."""
    files = f"{project_files_digest()}+{analytics_digest()}"
    return json.dumps({"files": files, "vars": dbt_vars(settings)}, sort_keys=True)


def manifest_json(settings: Settings | None = None) -> dict[str, Any]:
    """target/manifest.json of the current project and vars, as a dict (parsed first when stale)."""
    return json.loads(ensure_manifest(settings).read_text())


def models_reading_vars(names: set[str], manifest: dict[str, Any]) -> set[str] | None:
    """Unique ids of the models whose code reads one of the dbt vars `names` (`var('name')`, or a config key of
    that name: how the Python models receive them), with every node downstream of them. None when a macro
    reads one: then any model may depend on it."""
    quoted = [f"var({q}{name}{q}" for name in names for q in ("'", '"')]
    for macro in manifest["macros"].values():
        if macro["package_name"] == "openfit" and any(call in macro["macro_sql"] for call in quoted):
            return None
    reading = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and (any(call in (node.get("raw_code") or "") for call in quoted) or names & set(node["config"]))
    }
    reached, frontier = set(), list(reading)
    while frontier:
        node = frontier.pop()
        if node not in reached:
            reached.add(node)
            frontier.extend(manifest["child_map"].get(node, []))
    return reached


def _common_args() -> list[str]:
    return ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), *_file_log_level()]


def _file_log_level() -> list[str]:
    """dbt's log file (transform/logs/dbt.log) at INFO, not dbt's default DEBUG: every statement of every node
    logged at DEBUG cost ~10 % of a build's dbt time and 10 MB of log per build (the tests' 3 x 60 cohort built
    by `orchestration.build.run_build` in a fresh home, with and without DBT_LOG_LEVEL_FILE=debug: transform
    22.2-24.8 s at INFO, 25.5-26.5 s at DEBUG). DBT_LOG_LEVEL_FILE=debug brings the statements back."""
    return [] if os.environ.get("DBT_LOG_LEVEL_FILE") else ["--log-level-file", "info"]


_parsed: dict[str, Any] = {}  # fingerprint -> dbt Manifest, this process's cache
_lock = threading.Lock()


def parsed_manifest(settings: Settings | None = None) -> Any:
    """The dbt Manifest of the project with the current vars, parsed in this process at most once."""
    settings = settings or get_settings()
    fingerprint = project_fingerprint(settings)
    with _lock:
        if fingerprint in _parsed:
            return _parsed[fingerprint]
        from dbt.cli.main import dbtRunner  # imported lazily: 2+ s

        apply_dbt_env(settings)
        stamp = manifest_fingerprint_path()
        # target/manifest.json (read by Dagster's definitions) is rewritten only when it is not this project's
        # already: writing it costs ~0.4 s in every process that runs dbt.
        current = manifest_path().exists() and stamp.exists() and stamp.read_text() == fingerprint
        result = dbtRunner().invoke(
            ["parse", *_common_args(), "--quiet", *dbt_vars_arg(settings)]
            + (["--no-write-json"] if current else [])
        )
        if not result.success:
            raise RuntimeError(f"dbt parse failed: {result.exception or 'see dbt logs in transform/logs'}")
        stamp.write_text(fingerprint)
        _parsed.clear()
        _parsed[fingerprint] = result.result
        return result.result


def ensure_manifest(settings: Settings | None = None) -> Path:
    """target/manifest.json for the current project and vars (parsed in-process when stale)."""
    settings = settings or get_settings()
    fingerprint = project_fingerprint(settings)
    stamp = manifest_fingerprint_path()
    current = stamp.read_text() if stamp.exists() else None
    if manifest_path().exists() and current == fingerprint:
        return manifest_path()
    parsed_manifest(settings)
    return manifest_path()


@dataclass
class DbtRun:
    success: bool
    events: list[dict[str, Any]] = field(default_factory=list)  # dbt's structured log events, as dicts
    failure: str | None = None
    statuses: dict[str, str] = field(
        default_factory=dict
    )  # unique_id -> dbt's status (success, fail, skipped...)
    failed_tests: dict[str, str] = field(
        default_factory=dict
    )  # unique_id -> compiled SQL of a failing data test
    seconds: dict[str, float] = field(default_factory=dict)  # unique_id -> execution time of the node


def invoke_dbt(
    args: list[str],
    settings: Settings | None = None,
    on_event: Callable[[dict[str, Any]], None] | None = None,
) -> DbtRun:
    """Run `dbt <args>` in this process on the parsed project; returns its result events.

    The warehouse file is closed when the call returns (dbt-duckdb keeps it open between nodes), so the next
    writer in this process (dlt, the publish step) can open it.
    """
    settings = settings or get_settings()
    manifest = parsed_manifest(settings)
    from dbt.cli.main import dbtRunner
    from dbt_common.events.functions import msg_to_dict

    apply_dbt_env(settings)
    os.environ["OPENFIT_DBT_KEEP_OPEN"] = "True"
    events: list[dict[str, Any]] = []

    def collect(event: Any) -> None:
        if event.info.name in ("LogModelResult", "LogTestResult", "LogSeedResult", "LogSnapshotResult"):
            as_dict = msg_to_dict(event)
            events.append(as_dict)
            if on_event is not None:
                on_event(as_dict)

    try:
        # A run writes no manifest.json or run_results.json: the manifest is the parse's, and the results are
        # read here from the invocation (openfit_state.build_nodes keeps their times).
        no_json = ["--no-write-json"] if args and args[0] in ("build", "run", "test", "seed") else []
        result = dbtRunner(manifest=manifest, callbacks=[collect]).invoke(
            [*args, *_common_args(), "--quiet", *no_json, *dbt_vars_arg(settings)]
        )
    finally:
        _close_dbt_connection()
        os.environ.pop("OPENFIT_DBT_KEEP_OPEN", None)
    statuses, failed_tests, seconds = {}, {}, {}
    for node_result in getattr(result.result, "results", None) or []:
        node, status = node_result.node, str(node_result.status)
        statuses[node.unique_id] = status
        seconds[node.unique_id] = float(node_result.execution_time or 0.0)
        if status == "fail" and node.resource_type == "test":
            failed_tests[node.unique_id] = node.compiled_code
    failure = None
    if not result.success:
        failed = [
            e["data"]["node_info"]["unique_id"]
            for e in events
            if e["data"].get("node_info", {}).get("node_status") in ("error", "fail")
        ]
        failure = (
            f"dbt {args[0]} failed: {', '.join(failed[:5])}"
            if failed
            else f"dbt {args[0]} failed: {result.exception}"
        )
    return DbtRun(bool(result.success), events, failure, statuses, failed_tests, seconds)


def _close_dbt_connection() -> None:
    """Release the warehouse file held by dbt-duckdb's process-wide environment."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # dbt not imported in this process
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            try:
                DuckDBConnectionManager._ENV.close()
            finally:
                DuckDBConnectionManager._ENV = None


def dbt_command(args: list[str], settings: Settings | None = None) -> list[str]:
    """The dbt CLI call for `args` on this project, with the settings' vars (the project declares no defaults
    for them). Its environment is `dbt_env(settings)`."""
    return [
        dbt_executable(),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        *dbt_vars_arg(settings),
    ]


def main(argv: list[str] | None = None) -> int:
    """`uv run python -m orchestration.dbt <dbt command and flags>`: dbt by hand on the home's warehouse with the
    settings' vars (`dbt build --select marts`, `dbt test`, ...)."""
    import subprocess

    settings = get_settings()
    command = dbt_command(sys.argv[1:] if argv is None else argv, settings)
    return subprocess.call(command, env={**os.environ, **dbt_env(settings)})


if __name__ == "__main__":
    sys.exit(main())
