"""File import: FIT, GPX and TCX files, folders, export archives (Garmin, Strava), Apple Health exports, Gadgetbridge
databases and Android Health Connect exports into ``raw_files``.

- :func:`ingestion.files.importer.import_paths` - import paths, returns an ImportSummary (CLI and sensor)
- :func:`ingestion.files.decode.decode_bytes` / ``decode_path`` - decode one file into Arrow tables
- :class:`ingestion.files.workers.IsolatedDecoder` - decoding in worker processes with time/memory limits
- :data:`PROVIDER` - the registry entry (entry point ``openfit.providers: files``)

Kept light: importing this package does not import dlt or the decoders.
"""

from __future__ import annotations

from typing import Any

from ingestion.registry import Capability, Provider


def _files_source(**kwargs: Any) -> Any:
    from ingestion.files.source import files_source

    return files_source(**kwargs)


PROVIDER = Provider(
    name="files",
    display_name="Files and export archives (FIT, GPX, TCX)",
    capabilities=Capability.ACTIVITIES | Capability.SLEEP | Capability.HEALTH_METRICS,
    kind="file",
    dlt_source=_files_source,
    description=(
        "FIT/GPX/TCX files, folders, .gz, Garmin Connect 'export all data' and Strava bulk-export zips, "
        "Apple Health exports (export.zip or export.xml), Gadgetbridge databases (Export DB or its zip), "
        "Android Health Connect exports (the zip or its .db). "
        "With no paths the source imports $OPENFIT_HOME/inbox. Originals are kept in the blob store; "
        "re-imports are no-ops."
    ),
)

__all__ = ["PROVIDER"]
