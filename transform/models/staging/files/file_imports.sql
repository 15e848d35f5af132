{{ config(schema='openfit', materialized='table') }}
-- The file-import log, published in the snapshot as openfit.file_imports: one row per file per import run
-- (imported | partial | duplicate | quarantined, with the reason). `openfit status` reads the quarantine here.
-- metadata holds what an export archive said about the file (Strava: name, gear, commute).
-- athlete_id: imported files belong to the warehouse's owner (as in every stg_files model), so an account
-- export can hand each athlete their own original files, activities or not (monitoring, sleep, weight).
select
    '{{ var("files_athlete_id") }}' as athlete_id,
    sha256,
    original_name,
    source_archive,
    format,
    status,
    reason,
    parser,
    parser_version,
    size_bytes,
    records,
    counts,
    nulled,
    metadata,
    warnings,
    imported_at
from {{ optional_source('raw_files', 'file_imports', {
    'sha256': 'varchar', 'original_name': 'varchar', 'source_archive': 'varchar', 'format': 'varchar',
    'status': 'varchar', 'reason': 'varchar', 'parser': 'varchar', 'parser_version': 'varchar',
    'size_bytes': 'bigint', 'records': 'bigint', 'counts': 'varchar', 'nulled': 'varchar',
    'metadata': 'varchar', 'warnings': 'varchar', 'imported_at': 'timestamptz'}) }}
