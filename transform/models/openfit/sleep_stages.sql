select
    cast(sleep_id as varchar) as sleep_id,
    cast(stage as varchar) as stage,
    cast(start_time as timestamp with time zone) as start_time,
    cast(end_time as timestamp with time zone) as end_time,
    cast(duration_s as double) as duration_s
from {{ ref('int_sleep_stages_unioned') }}
