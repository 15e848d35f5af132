-- The Fitbit account's settings from the latest Takeout's Profile.csv: its time zone (Fitbit writes local wall
-- times without an offset, so every Fitbit model turns them into UTC with it) and its weight unit. One row at
-- most. A time zone DuckDB does not know (or none) is UTC, so one odd profile cannot fail the build.
with profiles as (
    select
        timezone,
        upper(coalesce(weight_unit, 'METRIC')) as weight_unit,
        file_sha256
    from {{ optional_source('raw_files', 'fitbit_profile', {
        'timezone': 'varchar', 'weight_unit': 'varchar', 'file_sha256': 'varchar', '_dlt_load_id': 'varchar'}) }}
    where file_sha256 in (select file_sha256 from {{ ref('stg_files__imports') }})
    qualify row_number() over (order by _dlt_load_id desc, file_sha256 asc) = 1
)

select
    case
        when profiles.timezone in (select zones.name from pg_timezone_names() as zones) then profiles.timezone
        else 'UTC'
    end as timezone,
    profiles.weight_unit,
    profiles.file_sha256
from profiles
