-- Dated thresholds from every source, as validity intervals: valid_to is the day before the next change
-- (null = in force today). One row per athlete and valid_from: a later-fetched value for the same day wins.
with unioned as (
    {{ union_sources(
        [ref('stg_synthetic__athlete_profiles')],
        ['athlete_id', 'effective_from', 'hr_max', 'hr_rest', 'lthr', 'ftp_w', 'threshold_pace_s_per_km',
         'method', 'source', 'fetched_at']
    ) }}
),

deduplicated as (
    select *
    from unioned
    qualify row_number() over (partition by athlete_id, effective_from order by fetched_at desc, source asc) = 1
)

select
    athlete_id,
    effective_from as valid_from,
    cast(lead(effective_from) over (partition by athlete_id order by effective_from) - interval 1 day as date)
        as valid_to,
    hr_max,
    hr_rest,
    lthr,
    ftp_w,
    threshold_pace_s_per_km,
    method,
    source
from deduplicated
