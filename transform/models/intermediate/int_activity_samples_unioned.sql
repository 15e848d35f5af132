-- 1 Hz samples from every source, keyed by recording, with the dlt load that delivered them (an incremental
-- build reads only the loads of the recordings it recomputes). A view: openfit.activity_samples reads it.
{{ union_sources(
    [ref('stg_synthetic__activity_streams'), ref('stg_fit__records'), ref('stg_gpx__points'),
     ref('stg_tcx__trackpoints'), ref('stg_strava__activity_streams'), ref('stg_health_connect__activity_samples'),
     ref('stg_polar__activity_samples')],
    ['recording_id', 'ts', 'heart_rate', 'power_w', 'speed_mps', 'cadence', 'altitude_m', 'lat', 'lon',
     'distance_m', 'temperature_c', 'load_id']
) }}
