-- Strava names the recording device only by a display name ("Garmin Edge 530", "Wahoo ELEMNT BOLT"): one
-- device per athlete and name; its type guessed from well-known product names (else 'other').
select distinct
    device_id,
    athlete_id,
    lower(split_part(device_name, ' ', 1)) as vendor,
    device_name as model,
    case
        when regexp_matches(lower(device_name), 'edge|elemnt|bolt|roam|karoo|hammerhead|bryton|cycliq')
            then 'bike_computer'
        when regexp_matches(lower(device_name),
            'forerunner|fenix|fēnix|epix|venu|vivoactive|instinct|enduro|watch|coros|suunto|polar|apex|vertix|pace')
            then 'watch'
        else 'other'
    end as device_type,
    cast(null as varchar) as serial_number,
    device_name as external_id,
    'strava' as source
from (
    select
        athlete_id,
        device_id,
        substr(device_id, length('strava:' || athlete_id || ':') + 1) as device_name
    from {{ ref('stg_strava__activities') }}
    where device_id is not null
)
