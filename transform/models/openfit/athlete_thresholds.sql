select
    cast(athlete_id as varchar) as athlete_id,
    cast(valid_from as date) as valid_from,
    cast(valid_to as date) as valid_to,
    cast(hr_max as integer) as hr_max,
    cast(hr_rest as integer) as hr_rest,
    cast(lthr as integer) as lthr,
    cast(ftp_w as integer) as ftp_w,
    cast(threshold_pace_s_per_km as double) as threshold_pace_s_per_km,
    cast(method as varchar) as method,
    cast(source as varchar) as source
from {{ ref('int_athlete_thresholds_unioned') }}
