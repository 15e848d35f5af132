-- depends_on: {{ ref('int_changed_metric_windows') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='changed_metric_windows_predicate',
    on_schema_change='fail',
) }}
-- No ORDER BY: the raw load order (athlete, block of days, device) already clusters rows for the zone maps,
-- and sorting tens of millions of rows would cost more than the table's own write. An incremental build
-- replaces, per athlete, the time span its new loads cover (int_changed_metric_windows).
select
    cast(athlete_id as varchar) as athlete_id,
    cast(metric as varchar) as metric,
    cast(ts as timestamp with time zone) as ts,
    cast("value" as double) as "value",
    cast(unit as varchar) as unit,
    cast(source as varchar) as source,
    cast(device_id as varchar) as device_id
from {{ ref('int_metrics_unioned') }}
{%- if is_incremental() %}
where {{ changed_metric_windows_predicate() }}
{%- endif %}
