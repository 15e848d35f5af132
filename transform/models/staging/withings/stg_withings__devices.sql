-- Withings devices, as the documents name them: by hashed device id where Withings sends one (else by model,
-- or one per athlete and kind of data). The type follows Withings' model ids: 1-19 scales, 50-59 and 90-99
-- watches and trackers; blood-pressure monitors (40-49), sleep analysers (60-69) and third-party sources
-- (e.g. 1055 Google Fit) are 'other'.
with seen as (
    select distinct device_id, athlete_id, model, model_id, 1 as named
    from {{ ref('stg_withings__measures') }}
    union all
    select
        'withings:'
        || athlete
        || ':'
        || coalesce({{ json_field('deviceid') }}, 'model-' || {{ json_field('model') }}, 'unknown'),
        athlete, null as model, {{ json_field('model', 'integer') }} as model_id, 0 as named
    from {{ optional_source('raw_withings', 'workouts', {'athlete': 'varchar', 'payload': 'json'}) }}
    union all
    select
        'withings:' || athlete || ':' || coalesce({{ json_field('hash_deviceid') }}, 'activity'),
        athlete, {{ json_field('model') }} as model, {{ json_field('modelid', 'integer') }} as model_id, 1 as named
    from {{ optional_source('raw_withings', 'activity', {'athlete': 'varchar', 'payload': 'json'}) }}
    union all
    select
        'withings:' || athlete || ':' || coalesce({{ json_field('hash_deviceid') }}, 'sleep'),
        athlete, null as model, {{ json_field('model_id', 'integer') }} as model_id, 0 as named
    from {{ optional_source('raw_withings', 'sleep_summary', {'athlete': 'varchar', 'payload': 'json'}) }}
),

known as (
    select
        device_id,
        any_value(athlete_id) as athlete_id,
        arg_max(model, named) filter (where model is not null) as model,
        max(model_id) as model_id
    from seen
    group by device_id
)

select
    device_id,
    athlete_id,
    'withings' as vendor,
    coalesce(model, case when model_id is not null then 'Withings model ' || model_id end, 'Withings') as model,
    case
        when regexp_matches(lower(coalesce(model, '')), 'body|scale') or model_id between 1 and 19 then 'scale'
        when regexp_matches(lower(coalesce(model, '')), 'watch|pulse|activit|steel|move')
            or model_id between 50 and 59 or model_id between 90 and 99 then 'watch'
        else 'other'
    end as device_type,
    cast(null as varchar) as serial_number,
    nullif(split_part(device_id, ':', 3), '') as external_id,
    'withings' as source
from known
