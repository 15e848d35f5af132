-- One row per imported file (status imported or partial): its hash, name, archive and export metadata (the
-- Strava export's name, gear, commute flag). The files staging models join it for names, gear and commute.
select
    sha256 as file_sha256,
    original_name,
    source_archive,
    format,
    status,
    metadata,
    nullif(json_extract_string(metadata, '$.strava_name'), '') as export_name,
    nullif(json_extract_string(metadata, '$.strava_gear'), '') as export_gear,
    try_cast(json_extract_string(metadata, '$.strava_commute') as boolean) as export_commute,
    imported_at,
    _dlt_load_id as load_id
from {{ optional_source('raw_files', 'file_imports', {
    'sha256': 'varchar', 'original_name': 'varchar', 'source_archive': 'varchar', 'format': 'varchar',
    'status': 'varchar', 'metadata': 'varchar', 'imported_at': 'timestamptz', '_dlt_load_id': 'varchar'}) }}
where status in ('imported', 'partial') and sha256 is not null
qualify row_number() over (partition by sha256 order by imported_at desc) = 1
