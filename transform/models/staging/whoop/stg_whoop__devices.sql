-- WHOOP data comes from one band per athlete; the API does not name it, so it is 'whoop:<athlete>:band'.
-- Device type 'other': no OpenFit type fits a screenless strap, and 'other' ranks last for every field of a
-- merged workout (seeds/source_priority.csv), so a watch or bike computer file of the same workout wins.
select distinct
    'whoop:' || athlete || ':band' as device_id,
    athlete as athlete_id,
    'whoop' as vendor,
    'WHOOP' as model,
    'other' as device_type,
    cast(null as varchar) as serial_number,
    cast(null as varchar) as external_id,
    'whoop' as source
from {{ optional_source('raw_whoop', 'profile', {'athlete': 'varchar'}) }}
