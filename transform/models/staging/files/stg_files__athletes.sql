-- Imported files carry no athlete: they belong to the warehouse's owner, var('files_athlete_id')
-- (default 'files:owner'). One row, only once a file was imported; it loses to any other source's
-- description of the same athlete id (fetched_at far in the past).
select
    '{{ var("files_athlete_id") }}' as athlete_id,
    'Imported files' as display_name,
    cast(null as varchar) as sex,
    cast(null as integer) as birth_year,
    'UTC' as home_timezone,
    cast(null as double) as weight_kg,
    'files' as source,
    timestamptz '1970-01-01 00:00:00+00' as fetched_at
-- any one import row: only whether a file was imported matters
from (select 1 from {{ ref('stg_files__imports') }} limit 1)  -- noqa: AM09
