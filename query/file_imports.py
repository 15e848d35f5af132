"""What `openfit status` shows about file imports, read from the published snapshot (openfit.file_imports).

`openfit status` calls :func:`quarantine_report` and prints it (see :func:`format_report`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from openfit.settings import Settings, get_settings


@dataclass(frozen=True)
class QuarantinedFile:
    original_name: str
    source_archive: str | None
    reason: str | None
    sha256: str | None
    imported_at: datetime | None


@dataclass
class QuarantineReport:
    files_by_status: dict[str, int] = field(
        default_factory=dict
    )  # each file counted once, by its latest outcome
    quarantined: list[QuarantinedFile] = field(default_factory=list)


# A file's latest outcome decides: a file quarantined once and imported later (a retry after a decoder fix)
# is not in quarantine. Files refused before hashing (zip bombs, traversal) have no sha256: keyed by name.
_LATEST = """
select *
from openfit.file_imports
qualify row_number() over (
    partition by coalesce(sha256, coalesce(source_archive, '') || '//' || original_name)
    order by imported_at desc, case status when 'duplicate' then 1 else 0 end
) = 1
"""


def quarantine_report(settings: Settings | None = None, limit: int = 50) -> QuarantineReport:
    """File counts by latest status and the quarantined files with their reasons (newest first, at most
    `limit`). An empty report when the snapshot has no file-import log (no file imported yet).
    Raises query.snapshot.SnapshotMissing when there is no snapshot."""
    from query.snapshot import snapshot_connection

    settings = settings or get_settings()
    report = QuarantineReport()
    with snapshot_connection(settings) as con:
        # An aggregate without GROUP BY returns exactly one row.
        (exists,) = cast(
            tuple[int],
            con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = 'openfit' and table_name = 'file_imports'"
            ).fetchone(),
        )
        if not exists:
            return report
        for status, count in con.execute(
            f"select status, count(*) from ({_LATEST}) group by status order by status"
        ).fetchall():
            report.files_by_status[status] = count
        rows = con.execute(
            f"select original_name, source_archive, reason, sha256, imported_at from ({_LATEST}) "
            "where status = 'quarantined' order by imported_at desc, original_name limit ?",
            [limit],
        ).fetchall()
    report.quarantined = [QuarantinedFile(*row) for row in rows]
    return report


def format_report(report: QuarantineReport) -> list[str]:
    """Plain lines for a terminal: one summary line, then one line per quarantined file."""
    if not report.files_by_status:
        return ["file imports: none"]
    counts = ", ".join(f"{count} {status}" for status, count in sorted(report.files_by_status.items()))
    lines = [f"file imports: {counts}"]
    for item in report.quarantined:
        where = f"{item.source_archive} > {item.original_name}" if item.source_archive else item.original_name
        lines.append(f"  quarantined {where}: {item.reason or 'no reason recorded'}")
    return lines
