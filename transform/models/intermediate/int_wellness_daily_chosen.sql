-- Every source's daily value per metric, ranked: one row per athlete, date, metric and source device, with
-- chosen = true for the value openfit.wellness_daily publishes (per-metric source priority).
--
-- A value's device is its device_id when the source names one, else the source itself (source_key). Ranking,
-- best first:
--   1. the per-athlete overrides (setting OPENFIT_DAILY_SOURCE_OVERRIDES, dbt var daily_source_overrides):
--      entries for the athlete before entries for every athlete ('*'), each in the order listed; an entry's
--      `source` matches a device_id, a device type or a source name;
--   2. seeds/daily_source_priority.csv by metric and device type (a value without a device: by its source);
--   3. anything else (priority 99), then source_key so the choice is deterministic.
-- Only sources that measured the metric that day compete: a missing value never wins.
{%- set overrides = var('daily_source_overrides', []) %}
with by_source as (
    select
        wellness.*,
        coalesce(wellness.device_id, wellness.source) as source_key,
        coalesce(devices.device_type, wellness.source) as device_type
    from {{ ref('int_wellness_daily_unioned') }} as wellness
    left join {{ ref('int_devices_unioned') }} as devices using (device_id)
),

long as (
    {%- for metric in daily_metrics() %}
    select
        athlete_id, "date", source, device_id, source_key, device_type,
        '{{ metric }}' as metric, cast({{ metric }} as double) as value
    from by_source
    where {{ metric }} is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

overrides as (
    {%- if overrides %}
    select * from (values
        {%- for entry in overrides %}
        (
            {{ loop.index }},
            '{{ entry.athlete_id | replace("'", "''") }}',
            '{{ entry.metric | replace("'", "''") }}',
            '{{ entry.source | replace("'", "''") }}'
        ){{ "," if not loop.last }}
        {%- endfor %}
    ) as entries (position, athlete_id, metric, source)
    {%- else %}
    select null::integer as position, null::varchar as athlete_id, null::varchar as metric, null::varchar as source
    where false
    {%- endif %}
),

ranked as (
    select
        long.*,
        priority.priority as seed_priority,
        (
            select min(case when overrides.athlete_id = '*' then 100000 else 0 end + overrides.position)
            from overrides
            where overrides.metric = long.metric
                and overrides.athlete_id in (long.athlete_id, '*')
                and overrides.source in (long.device_id, long.device_type, long.source)
        ) as override_rank
    from long
    left join {{ ref('daily_source_priority') }} as priority
        on priority.metric = long.metric
        and priority.device_type = long.device_type
)

select
    athlete_id,
    "date",
    metric,
    source,
    device_id,
    source_key,
    device_type,
    value,
    row_number() over (
        partition by athlete_id, "date", metric
        order by override_rank nulls last, coalesce(seed_priority, 99), source_key
    ) = 1 as chosen
from ranked
