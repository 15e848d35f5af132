{{ union_sources(
    [ref('stg_synthetic__sleep_levels')],
    ['sleep_id', 'stage', 'start_time', 'end_time', 'duration_s', 'source']
) }}
