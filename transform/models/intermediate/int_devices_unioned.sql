-- Devices from every source (ids are source-scoped, so sources cannot collide).
{{ union_sources(
    [ref('stg_synthetic__devices'), ref('stg_fit__devices'), ref('stg_strava__devices'), ref('stg_oura__devices'),
     ref('stg_apple_health__devices'), ref('stg_withings__devices'), ref('stg_whoop__devices'),
     ref('stg_wahoo__devices'), ref('stg_polar__devices'), ref('stg_fitbit__devices'), ref('stg_gadgetbridge__devices'),
     ref('stg_google_health__devices'),
         ref('stg_health_connect__devices')],
    ['device_id', 'athlete_id', 'vendor', 'model', 'device_type', 'serial_number', 'external_id', 'source']
) }}
