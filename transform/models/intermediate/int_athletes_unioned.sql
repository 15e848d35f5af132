-- Athletes from every source that knows them (today: the synthetic provider). One row per athlete_id:
-- when several sources describe one athlete, the most recently fetched description wins.
with unioned as (
    {{ union_sources(
        [ref('stg_synthetic__athletes'), ref('stg_files__athletes'), ref('stg_strava__athletes'),
         ref('stg_oura__athletes'), ref('stg_withings__athletes'), ref('stg_whoop__athletes'),
         ref('stg_wahoo__athletes'), ref('stg_polar__athletes'), ref('stg_google_health__athletes')],
        ['athlete_id', 'display_name', 'sex', 'birth_year', 'home_timezone', 'weight_kg', 'source', 'fetched_at']
    ) }}
)

select *
from unioned
qualify row_number() over (partition by athlete_id order by fetched_at desc, source asc) = 1
