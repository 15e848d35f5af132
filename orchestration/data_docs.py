"""The data docs: dbt's docs site (every model's columns, descriptions and types, and the lineage graph),
generated from the published snapshot after each publish and served by `openfit serve`.

Why from the snapshot and not from the warehouse: the docs must describe what readers can open. `dbt docs
generate` runs on the profile target `snapshot_docs` (transform/profiles.yml), which attaches the snapshot
read-only under the writer's database name; the catalog (column types, row counts) is therefore read from the
snapshot, and the tables readers do not get (staging, intermediate) appear in the lineage without a catalog
entry. The descriptions come from the dbt YAML, the only copy of them.

The site is three files (index.html, manifest.json, catalog.json) in a new folder serving/docs-<id>; the link
serving/docs is then switched to it atomically, so a reader of the site never sees half of one generation.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from openfit.settings import Settings, get_settings

DOCS_TARGET = "snapshot_docs"
DOCS_FILES = ("index.html", "manifest.json", "catalog.json")
DOCS_LINK_NAME = "docs"


def docs_dir(settings: Settings | None = None) -> Path:
    """What `openfit serve` serves: a link to the newest generation."""
    settings = settings or get_settings()
    return settings.serving_dir / DOCS_LINK_NAME


def generate_data_docs(settings: Settings | None = None) -> Path:
    """Generate the docs site from the published snapshot and switch serving/docs to it. Returns serving/docs."""
    from orchestration.dbt import ensure_manifest, invoke_dbt
    from query.snapshot import SnapshotMissing

    settings = settings or get_settings()
    snapshot = settings.snapshot_path
    if not snapshot.exists():
        raise SnapshotMissing(f"no snapshot at {snapshot}: the data docs are generated after a publish")
    generation = settings.serving_dir / f"docs-{uuid.uuid4().hex[:12]}"
    # dbt writes more than the site (compiled SQL, run results): it works in a scratch folder we keep 3 files of.
    scratch = settings.home_dir / "tmp" / f"dbt-docs-{generation.name}"
    try:
        scratch.mkdir(parents=True)  # dbt's --no-compile path copies index.html there without creating it
        # --no-compile: compiling runs the models' introspective queries, which read the writer's
        # intermediate tables; the snapshot has none, and the docs need only the catalog.
        run = invoke_dbt(
            ["docs", "generate", "--no-compile", "--target", DOCS_TARGET, "--target-path", str(scratch)],
            settings,
        )
        if not run.success:
            raise RuntimeError(run.failure)
        generation.mkdir()
        for name in ("index.html", "catalog.json"):
            shutil.copy2(scratch / name, generation / name)
        # With --no-compile dbt writes no manifest: the site's is the project's parsed manifest (descriptions,
        # lineage), the same one the Dagster code location reads.
        shutil.copy2(ensure_manifest(settings), generation / "manifest.json")
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    link = docs_dir(settings)
    if link.exists() and not link.is_symlink():  # a folder left by hand: the link takes its place
        shutil.rmtree(link)
    pending = settings.serving_dir / f".{DOCS_LINK_NAME}-{generation.name}.link"
    pending.symlink_to(generation.name)  # relative: the home can be moved
    os.replace(pending, link)
    for old in settings.serving_dir.glob("docs-*"):
        if old.is_dir() and old.name != generation.name:
            shutil.rmtree(old, ignore_errors=True)
    return link
