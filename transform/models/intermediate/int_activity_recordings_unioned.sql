-- Every activity recording from every source, in the OpenFit sport vocabulary.
-- Union point: file imports (stg_fit__/stg_gpx__/stg_tcx__activities), Strava and others join this list.
with unioned as (
    {{ union_sources(
        [ref('stg_synthetic__activities'), ref('stg_fit__sessions'), ref('stg_gpx__tracks'),
         ref('stg_tcx__activities'), ref('stg_strava__activities'), ref('stg_withings__activities'),
         ref('stg_whoop__activities'), ref('stg_wahoo__activities'), ref('stg_polar__activities'), ref('stg_fitbit__exercises'),
         ref('stg_apple_health__workouts'), ref('stg_gadgetbridge__activities'), ref('stg_google_health__activities'),
         ref('stg_health_connect__activities')],
        ['recording_id', 'external_id', 'athlete_id', 'device_id', 'source', 'name', 'gear', 'commute',
         'multisport_group_id', 'source_sport', 'start_time',
         'end_time', 'utc_offset_s', 'local_date', 'duration_s', 'moving_s', 'distance_m', 'ascent_m', 'avg_hr',
         'max_hr', 'avg_power_w', 'avg_speed_mps', 'avg_cadence', 'kcal', 'rpe', 'has_gps', 'indoor',
         'fetched_at', 'load_id']
    ) }}
)

select
    unioned.*,
    coalesce(sport_types.sport, 'other') as sport,
    sport_types.sub_sport
from unioned
left join {{ ref('sport_types') }} as sport_types
    on sport_types.source = unioned.source
    and sport_types.source_sport = unioned.source_sport
