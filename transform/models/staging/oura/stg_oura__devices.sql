-- Oura data comes from one ring per athlete; the API does not name it, so it is 'oura:<athlete>:ring'.
select distinct
    'oura:' || athlete || ':ring' as device_id,
    athlete as athlete_id,
    'oura' as vendor,
    'Oura Ring' as model,
    'ring' as device_type,
    cast(null as varchar) as serial_number,
    cast(null as varchar) as external_id,
    'oura' as source
from {{ optional_source('raw_oura', 'personal_info', {'athlete': 'varchar'}) }}
