-- Polar exercise samples (`samples=true`): one comma list per sample type, a value every `recording-rate`
-- seconds from the start ('null' while a sensor was offline). Sample types (AccessLink): 0 heart rate (bpm),
-- 1 speed (km/h, here m/s), 2 cadence (rpm), 3 altitude (m), 4 power (W), 9 temperature (°C), 10 distance (m);
-- the others (pedalling index, L/R balance, air pressure, RR intervals) stay raw. The route (`route=true`)
-- gives lat/lon at its `time` offset ('PT12.5S'), joined at the whole second. Rows at 1 Hz or the device's rate.
with exercises as (
    select * from {{ optional_source('raw_polar', 'exercise', {
        'id': 'varchar', 'payload': 'json', '_dlt_load_id': 'varchar'}) }}
),

series as (
    select
        exercises.id,
        exercises._dlt_load_id as load_id,
        cast(s.sample ->> 'sample-type' as integer) as sample_type,
        coalesce(cast(s.sample ->> 'recording-rate' as integer), 1) as rate_s,
        string_split(s.sample ->> 'data', ',') as vals
    from exercises,
        unnest(cast(coalesce(exercises.payload -> 'samples', '[]') as json[])) as s (sample)
    where cast(s.sample ->> 'sample-type' as integer) in (0, 1, 2, 3, 4, 9, 10)
),

values_at as (
    select
        id,
        load_id,
        sample_type,
        (i - 1) * rate_s as offset_s,
        try_cast(vals[i] as double) as value
    from series, generate_series(1, len(vals)) as g (i)
),

pivoted as (
    select
        id,
        offset_s,
        any_value(load_id) as load_id,
        max(value) filter (where sample_type = 0) as heart_rate,
        max(value) filter (where sample_type = 1) / 3.6 as speed_mps,
        max(value) filter (where sample_type = 2) as cadence,
        max(value) filter (where sample_type = 3) as altitude_m,
        max(value) filter (where sample_type = 4) as power_w,
        max(value) filter (where sample_type = 9) as temperature_c,
        max(value) filter (where sample_type = 10) as distance_m
    from values_at
    group by id, offset_s
),

route as (
    select
        exercises.id,
        cast(floor({{ iso_duration_to_seconds("r.point ->> 'time'") }}) as bigint) as offset_s,
        any_value(cast(r.point ->> 'latitude' as double)) as lat,
        any_value(cast(r.point ->> 'longitude' as double)) as lon
    from exercises,
        unnest(cast(coalesce(exercises.payload -> 'route', '[]') as json[])) as r (point)
    group by all
)

select
    activities.recording_id,
    activities.start_time + to_seconds(pivoted.offset_s) as ts,
    cast({{ within('pivoted.heart_rate', 25, 250) }} as smallint) as heart_rate,
    cast({{ within('pivoted.power_w', 0, 2500) }} as smallint) as power_w,
    cast({{ within('pivoted.cadence', 0, 300) }} as smallint) as cadence,
    {{ within('pivoted.speed_mps', 0, 60) }} as speed_mps,
    {{ within('pivoted.altitude_m', -500, 9000) }} as altitude_m,
    {{ within('route.lat', -90, 90) }} as lat,
    {{ within('route.lon', -180, 180) }} as lon,
    pivoted.distance_m,
    cast({{ within('pivoted.temperature_c', -60, 70) }} as smallint) as temperature_c,
    pivoted.load_id
from pivoted
inner join {{ ref('stg_polar__activities') }} as activities
    on activities.recording_id = 'polar:' || pivoted.id
left join route
    on route.id = pivoted.id
    and route.offset_s = pivoted.offset_s
