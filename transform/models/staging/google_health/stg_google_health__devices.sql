-- The devices Google Health data points name (dataSource.device), one per athlete and device id, plus the
-- reconciled stream (steps merged over all devices). Form factor -> OpenFit device type: a fitness band counts
-- as a watch (wrist-worn, same sensors); the reconciled stream and unknown form factors are 'other', which
-- ranks last in every source priority.
select
    device_id,
    athlete_id,
    coalesce(any_value(manufacturer), 'Google') as vendor,
    coalesce(any_value(model), 'Google Health (reconciled)') as model,
    case any_value(form_factor)
        when 'WATCH' then 'watch'
        when 'FITNESS_BAND' then 'watch'
        when 'RING' then 'ring'
        when 'CHEST_STRAP' then 'chest_strap'
        when 'SCALE' then 'scale'
        when 'PHONE' then 'phone'
        else 'other'
    end as device_type,
    cast(null as varchar) as serial_number,
    cast(null as varchar) as external_id,
    'google_health' as source
from {{ ref('stg_google_health__data_points') }}
group by device_id, athlete_id
