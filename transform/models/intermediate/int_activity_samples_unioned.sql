-- 1 Hz samples from every source, keyed by recording. A view: it is read once, by openfit.activity_samples.
{{ union_sources(
    [ref('stg_synthetic__activity_streams'), ref('stg_fit__records'), ref('stg_gpx__points'),
     ref('stg_tcx__trackpoints'), ref('stg_strava__activity_streams')],
    ['recording_id', 'ts', 'heart_rate', 'power_w', 'speed_mps', 'cadence', 'altitude_m', 'lat', 'lon',
     'distance_m', 'temperature_c']
) }}
