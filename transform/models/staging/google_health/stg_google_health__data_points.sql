-- Every Google Health data point with its data type and the device that recorded it. The device id is stable:
-- 'google_health:<athlete>:<manufacturer-display-name>' from the point's dataSource.device (e.g.
-- 'google_health:me:google-pixel-watch-3'), or the form factor when the device has no name. Reconciled points
-- (steps) carry no data source: Google merged them over all devices, so they get 'google_health:<athlete>:reconciled'.
{%- set tables = ['exercise', 'sleep', 'steps', 'heart_rate', 'daily_heart_rate_variability',
                  'daily_resting_heart_rate', 'daily_oxygen_saturation', 'weight', 'body_fat'] %}
with points as (
    {%- for table in tables %}
    select
        '{{ table }}' as data_type,
        id,
        athlete,
        payload,
        _fetched_at,
        _dlt_load_id
    from {{ optional_source('raw_google_health', table, {
        'id': 'varchar', 'athlete': 'varchar', 'payload': 'json', '_fetched_at': 'timestamptz',
        '_dlt_load_id': 'varchar'}) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

devices as (
    select
        *,
        payload -> 'dataSource' -> 'device' ->> 'manufacturer' as manufacturer,
        payload -> 'dataSource' -> 'device' ->> 'displayName' as model,
        payload -> 'dataSource' -> 'device' ->> 'formFactor' as form_factor,
        (payload -> 'dataSource') is not null as has_source
    from points
),

keyed as (
    select
        *,
        trim(
            regexp_replace(lower(concat_ws(' ', manufacturer, model)), '[^a-z0-9]+', '-', 'g'), '-'
        ) as device_name_key
    from devices
)

select
    data_type,
    id,
    athlete as athlete_id,
    payload,
    'google_health:' || athlete || ':' || case
        when not has_source then 'reconciled'
        when device_name_key != '' then device_name_key
        else coalesce(lower(form_factor), 'unknown')
    end as device_id,
    manufacturer,
    model,
    form_factor,
    _fetched_at as fetched_at,
    _dlt_load_id as load_id
from keyed
