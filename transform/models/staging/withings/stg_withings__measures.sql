-- Every Withings measure, one row per group and measure type, in SI units: Withings sends an integer
-- mantissa and a power of ten (value 72500, unit -3 -> 72.5 kg). The types OpenFit has a metric for are
-- named in stg_withings__metrics and stg_withings__weigh_ins; the others (height, fat-free and fat mass,
-- blood pressure, temperature, muscle, hydration, bone mass, pulse wave velocity, AFib, QRS, ...) stay here.
with groups as (
    select * from {{ optional_source('raw_withings', 'measure_groups', {
        'id': 'varchar', 'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz',
        '_dlt_load_id': 'varchar'}) }}
),

measures as (
    select
        groups.*,
        unnest(from_json(payload -> '$.measures', '[{"value": "bigint", "type": "integer", "unit": "integer"}]'))
            as measure
    from groups
    -- category 2 groups are user objectives, not measurements
    where coalesce({{ json_field('category', 'integer') }}, 1) = 1
)

select
    measures.athlete as athlete_id,
    measures.id as group_id,
    measure.type as meastype,
    cast(measure.value as double) * pow(10, measure.unit) as value,
    to_timestamp({{ json_field('date', 'bigint') }}) as ts,
    'withings:' || measures.athlete || ':'
        || coalesce({{ json_field('hash_deviceid') }}, {{ json_field('deviceid') }},
            'model-' || {{ json_field('modelid') }}, 'unknown') as device_id,
    {{ json_field('model') }} as model,
    {{ json_field('modelid', 'integer') }} as model_id,
    measures._fetched_at as fetched_at,
    measures._dlt_load_id as load_id
from measures
where measure.type is not null and measure.value is not null
-- a group holds one measure per type; keep the last fetched copy should Withings repeat one
qualify row_number() over (partition by measures.athlete, measures.id, measure.type order by measures._fetched_at desc)
    = 1
