{#- The shared part of the curve marts (power_curve, pace_curve): the per-activity best efforts of one sport that
    compute/activity_scores_computed.py stored as parallel arrays, one row per effort, in every window it counts for.
    Windows: all_time; 90d = the 90 days ending on the as-of date (the last date of daily_training_load);
    season_YYYY = calendar year YYYY. Renders the CTEs as_of, efforts and windowed (columns window_name,
    athlete_id, activity_id, local_date, <key_column>, <value_column>, start_offset_s); the model goes on with
    `select ... from windowed`.

    power_curve.sql and pace_curve.sql call it. -#}
{% macro curve_windows(sport, key_column, key_array, value_column, value_array, start_array) -%}
as_of as (
    select max("date") as as_of_date from {{ ref('daily_training_load') }}
),

efforts as (
    select
        athlete_id,
        activity_id,
        local_date,
        unnest({{ key_array }}) as {{ key_column }},
        unnest({{ value_array }}) as {{ value_column }},
        unnest({{ start_array }}) as start_offset_s
    from {{ ref('activity_scores_computed') }}
    where activity_id in (select activity_id from {{ ref('activities') }}) and sport = '{{ sport }}'
    {%- if is_incremental() %}
    and {{ marts_athletes_predicate() }}
    {%- endif %}
),

windowed as (
    select 'all_time' as window_name, e.* from efforts as e
    union all
    select '90d' as window_name, e.* from efforts as e, as_of
    where e.local_date > as_of.as_of_date - 90 and e.local_date <= as_of.as_of_date
    union all
    select 'season_' || cast(year(e.local_date) as varchar) as window_name, e.* from efforts as e
)
{%- endmacro %}

{#- The best effort's activity, date and offset in the curve marts' group (athlete, window, key), best first by
    `best_first` (ties go to the earliest effort), and the number of activities in the group. -#}
{% macro curve_best_effort(best_first) -%}
    cast(first(activity_id order by {{ best_first }}, local_date asc, activity_id asc) as varchar) as activity_id,
    cast(first(local_date order by {{ best_first }}, local_date asc, activity_id asc) as date) as "date",
    cast(first(start_offset_s order by {{ best_first }}, local_date asc, activity_id asc) as integer) as start_offset_s,
    cast(count(distinct activity_id) as integer) as activities
{%- endmacro %}
