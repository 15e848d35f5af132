-- Sleep sessions from every source (ring, watch, ...). All sources stay; int_wellness_daily_chosen chooses per metric.
{{ union_sources(
    [ref('stg_synthetic__sleep_sessions'), ref('stg_fit__sleep_sessions'), ref('stg_oura__sleep_sessions'),
     ref('stg_apple_health__sleep_sessions'), ref('stg_fitbit__sleep_sessions'), ref('stg_withings__sleep_sessions'),
     ref('stg_whoop__sleep_sessions'), ref('stg_polar__sleep_sessions'), ref('stg_gadgetbridge__sleep_sessions'), ref('stg_google_health__sleep_sessions'),
         ref('stg_health_connect__sleep_sessions')],
    ['sleep_id', 'external_id', 'athlete_id', 'device_id', 'source', 'start_time', 'end_time', 'utc_offset_s',
     'local_date', 'duration_s', 'deep_s', 'light_s', 'rem_s', 'awake_s', 'score', 'avg_hr', 'lowest_hr',
     'hrv_rmssd_ms', 'respiration_rate']
) }}
