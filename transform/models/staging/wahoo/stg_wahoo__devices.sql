-- The Wahoo account of each connected athlete, as one device 'wahoo:<athlete>:cloud' (the API does not name
-- the ELEMNT, KICKR or app that recorded a workout); its external_id is the Wahoo user id of GET /v1/user.
-- Device type 'other': it ranks last for every field of a merged workout (seeds/source_priority.csv), so the
-- FIT file of the same ride (its bike computer, with samples) leads the activity.
select
    'wahoo:' || athlete || ':cloud' as device_id,
    athlete as athlete_id,
    'wahoo' as vendor,
    'Wahoo Cloud' as model,
    'other' as device_type,
    cast(null as varchar) as serial_number,
    cast(user_id as varchar) as external_id,
    'wahoo' as source
from {{ optional_source('raw_wahoo', 'user', {'athlete': 'varchar', 'user_id': 'bigint'}) }}
