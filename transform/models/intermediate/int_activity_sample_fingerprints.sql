-- depends_on: {{ ref('int_changed_activities') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_changed',
    replace_predicate='changed_activities_predicate',
    on_schema_change='fail',
) }}
-- Per activity, a digest of its samples (row count and an order-independent hash of every row): the scores
-- (activity_scores_computed) re-score an activity only when it changes. Kept incrementally beside
-- openfit.activity_samples so that no build hashes the whole samples table again.
select
    activity_id,
    count(*) as samples,
    bit_xor(hash(ts, power_w, heart_rate, speed_mps, distance_m, altitude_m)) as samples_hash
from {{ ref('activity_samples') }}
{%- if is_incremental() %}
where {{ changed_activities_predicate('activity_id') }}
{%- endif %}
group by activity_id
