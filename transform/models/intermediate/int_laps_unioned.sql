{{ union_sources(
    [ref('stg_synthetic__laps'), ref('stg_fit__laps'), ref('stg_tcx__laps'), ref('stg_strava__laps'),
     ref('stg_health_connect__laps')],
    ['recording_id', 'lap_index', 'start_time', 'duration_s', 'distance_m', 'avg_hr', 'max_hr', 'avg_power_w',
     'avg_speed_mps', 'source']
) }}
