-- Polar devices: each exercise and night names the product's AccessLink id (`device_id`, e.g. '1111AAAA'),
-- exercises also its name (`device`, 'Polar Vantage V2'), so a device is 'polar:<device_id>', stable across
-- syncs and shared by its exercises and nights. Heart-rate sensors (H7, H9, H10, Verity Sense) are chest
-- straps or arm bands, ranked as chest straps; everything else Polar makes that records exercises is a watch
-- (or a bike computer: V650, M460). Data AccessLink gives without a device (continuous heart rate, Nightly
-- Recharge, daily activity, the user's weight) belongs to the account, 'polar:<athlete>:account' ('other').
with named as (
    select
        athlete,
        {{ json_field('device_id') }} as polar_device_id,
        {{ json_field('device') }} as model,
        _fetched_at
    from {{ optional_source('raw_polar', 'exercise', {
        'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz'}) }}
    union all
    select athlete, {{ json_field('device_id') }} as polar_device_id, cast(null as varchar) as model, _fetched_at
    from {{ optional_source('raw_polar', 'sleep', {
        'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz'}) }}
),

devices as (
    select
        polar_device_id,
        arg_max(athlete, _fetched_at) as athlete,
        arg_max(model, _fetched_at) filter (where model is not null) as model
    from named
    where polar_device_id is not null
    group by polar_device_id
),

accounts as (
    select distinct athlete
    from {{ optional_source('raw_polar', 'user', {'athlete': 'varchar'}) }}
    union
    select distinct athlete from named
)

select
    'polar:' || polar_device_id as device_id,
    athlete as athlete_id,
    'polar' as vendor,
    coalesce(model, 'Polar device') as model,
    case
        when regexp_matches(lower(coalesce(model, '')), '\bh7\b|\bh9\b|\bh10\b|verity') then 'chest_strap'
        when regexp_matches(lower(coalesce(model, '')), 'v650|m450|m460') then 'bike_computer'
        else 'watch'
    end as device_type,
    cast(null as varchar) as serial_number,
    polar_device_id as external_id,
    'polar' as source
from devices
union all
select
    'polar:' || athlete || ':account' as device_id,
    athlete as athlete_id,
    'polar' as vendor,
    'Polar Flow' as model,
    'other' as device_type,
    cast(null as varchar) as serial_number,
    cast(null as varchar) as external_id,
    'polar' as source
from accounts
