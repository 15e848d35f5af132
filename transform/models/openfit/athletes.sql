select
    cast(athlete_id as varchar) as athlete_id,
    cast(display_name as varchar) as display_name,
    cast(sex as varchar) as sex,
    cast(birth_year as integer) as birth_year,
    cast(home_timezone as varchar) as home_timezone,
    cast(weight_kg as double) as weight_kg,
    cast(source as varchar) as source
from {{ ref('int_athletes_unioned') }}
