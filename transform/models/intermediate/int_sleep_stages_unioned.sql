{{ union_sources(
    [ref('stg_synthetic__sleep_levels'), ref('stg_fit__sleep_stages'), ref('stg_oura__sleep_stages'), ref('stg_polar__sleep_stages'),
     ref('stg_apple_health__sleep_stages'),
     ref('stg_fitbit__sleep_stages'), ref('stg_gadgetbridge__sleep_stages'), ref('stg_google_health__sleep_stages'),
         ref('stg_health_connect__sleep_stages')],
    ['sleep_id', 'stage', 'start_time', 'end_time', 'duration_s', 'source']
) }}
