-- The file-import log (openfit.file_imports): one row per file per import run
-- (imported | partial | duplicate | quarantined, with the reason). `openfit status` reads the quarantine here.
-- metadata holds what an export archive said about the file (Strava: name, gear, commute).
-- athlete_id: imported files belong to the warehouse's owner (as in every stg_files model), so an account
-- export can hand each athlete their own original files, activities or not (monitoring, sleep, weight).
select
    cast('{{ var("files_athlete_id") }}' as varchar) as athlete_id,
    cast(sha256 as varchar) as sha256,
    cast(original_name as varchar) as original_name,
    cast(source_archive as varchar) as source_archive,
    cast(format as varchar) as format,
    cast(status as varchar) as status,
    cast(reason as varchar) as reason,
    cast(parser as varchar) as parser,
    cast(parser_version as varchar) as parser_version,
    cast(size_bytes as bigint) as size_bytes,
    cast(records as bigint) as records,
    cast(counts as varchar) as counts,
    cast(nulled as varchar) as nulled,
    cast(metadata as varchar) as metadata,
    cast(warnings as varchar) as warnings,
    cast(imported_at as timestamp with time zone) as imported_at
from {{ optional_source('raw_files', 'file_imports', {
    'sha256': 'varchar', 'original_name': 'varchar', 'source_archive': 'varchar', 'format': 'varchar',
    'status': 'varchar', 'reason': 'varchar', 'parser': 'varchar', 'parser_version': 'varchar',
    'size_bytes': 'bigint', 'records': 'bigint', 'counts': 'varchar', 'nulled': 'varchar',
    'metadata': 'varchar', 'warnings': 'varchar', 'imported_at': 'timestamptz'}) }}
