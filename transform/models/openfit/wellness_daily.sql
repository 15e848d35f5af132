-- depends_on: {{ ref('int_changed_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='changed_athletes_predicate',
    on_schema_change='fail',
) }}
-- One row per athlete and local date: per metric the value of the best-ranked source that measured it, and that
-- source in <metric>_source (ranking: intermediate/int_wellness_daily_chosen.sql). Every source's values stay
-- in openfit.wellness_daily_by_source.
{%- set types = {'steps': 'integer'} %}
select
    cast(athlete_id as varchar) as athlete_id,
    cast("date" as date) as "date",
    {%- for metric in daily_metrics() %}
    cast(max(case when metric = '{{ metric }}' then value end) as {{ types.get(metric, 'double') }}) as {{ metric }},
    cast(max(case when metric = '{{ metric }}' then source_key end) as varchar) as {{ metric }}_source
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
from {{ ref('int_wellness_daily_chosen') }}
where chosen
{%- if is_incremental() %}
    and {{ changed_athletes_predicate() }}
{%- endif %}
group by athlete_id, "date"
