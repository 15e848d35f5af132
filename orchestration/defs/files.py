"""The inbox: a sensor that imports what is dropped into ``$OPENFIT_HOME/inbox`` and republishes the snapshot.

The files provider's dlt source reads the inbox when given no paths, so the job is simply "the raw_files
asset, then every dbt model and the publish step" (other providers' extracts are left to the schedule).
Re-importing a file already loaded is a no-op (sha256 dedup), so the inbox need not be emptied.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import dagster as dg

from openfit.settings import get_settings

INBOX_JOB = "import_inbox"
INBOX_SENSOR = "inbox_sensor"
FILES_RAW_PREFIX = "raw_files"
# Long enough that a big archive being copied in is usually complete before the next look; a file still
# growing changes the fingerprint, so it is imported again (as a no-op or the full file) on the next tick.
MIN_INTERVAL_S = 30


def inbox_fingerprint(inbox: Path) -> str:
    """A digest of every file's relative name, size and mtime (empty string for an empty/missing inbox)."""
    if not inbox.is_dir():
        return ""
    entries = sorted(
        f"{path.relative_to(inbox).as_posix()}\t{stat.st_size}\t{stat.st_mtime_ns}"
        for path in inbox.rglob("*")
        if path.is_file() and not path.name.startswith(".") and (stat := path.stat())
    )
    if not entries:
        return ""
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


def inbox_job() -> dg.UnresolvedAssetJobDefinition:
    # API providers' assets sit in their own groups (tagged openfit/layer=raw): left out as well
    raw_layer = dg.AssetSelection.groups("raw") | dg.AssetSelection.tag("openfit/layer", "raw")
    other_extracts = raw_layer - dg.AssetSelection.key_prefixes(FILES_RAW_PREFIX)
    return dg.define_asset_job(
        INBOX_JOB,
        selection=dg.AssetSelection.all() - other_extracts,
        description="Import the files in $OPENFIT_HOME/inbox, rebuild the OpenFit schema and marts, publish.",
    )


def build_inbox_sensor(job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name=INBOX_SENSOR,
        job=job,
        minimum_interval_seconds=MIN_INTERVAL_S,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Imports new or changed files dropped into $OPENFIT_HOME/inbox.",
    )
    def _inbox_sensor(context: dg.SensorEvaluationContext):
        fingerprint = inbox_fingerprint(get_settings().inbox_dir)
        if not fingerprint or fingerprint == context.cursor:
            return dg.SkipReason("no new files in the inbox")
        context.update_cursor(fingerprint)
        return dg.RunRequest(run_key=f"inbox-{fingerprint[:16]}")

    return _inbox_sensor
