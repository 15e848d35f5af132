-- depends_on: {{ ref('int_marts_athletes') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='marts_athletes_predicate',
    on_schema_change='fail',
) }}
-- One row per athlete, local day and kind of flag, with severity, the value against its threshold and a
-- plain-language explanation (the typed, contracted view of compute/anomalies_computed.py:
-- analytics.detect_anomalies).
select
    cast(athlete_id as varchar) as athlete_id,
    cast("date" as date) as "date",
    cast(kind as varchar) as kind,
    cast(severity as varchar) as severity,
    cast("value" as double) as "value",
    cast(threshold as double) as threshold,
    cast(baseline as double) as baseline,
    cast(unit as varchar) as unit,
    cast(evidence as varchar) as evidence,
    cast(explanation as varchar) as explanation
from {{ ref('anomalies_computed') }}
{%- if is_incremental() %}
where {{ marts_athletes_predicate() }}
{%- endif %}
