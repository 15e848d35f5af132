{#- The incremental build (transform/README.md, "Incremental builds").

    The orchestrator writes the dlt loads not yet transformed into openfit_state.pending_loads before it runs
    dbt. The `int_changed_*` models turn them into the changed set (activities, metric windows); incremental
    models recompute exactly that set and replace it in their table with the `replace_changed` strategy below.
    A full refresh (`openfit build --full`, or the orchestrator when the project, its vars or the raw layer's
    history changed) rebuilds every table from the raw layer and gives the same rows. -#}


{#- Custom incremental strategy: delete the target rows of the changed set, then insert the recomputed rows.
    The model names the changed set with `config(replace_predicate='<macro name>')`, a macro that returns a SQL
    predicate over the target's columns. Unlike delete+insert on a unique key, rows whose key is no longer
    produced (an activity id retired by a merge) are deleted too. -#}
{% macro get_incremental_replace_changed_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set predicate_macro = config.get('replace_predicate') -%}
    {%- if not predicate_macro -%}
        {{ exceptions.raise_compiler_error("incremental_strategy 'replace_changed' needs config replace_predicate") }}
    {%- endif -%}
    {%- set order_by = config.get('insert_order_by') -%}
    delete from {{ target }} where {{ context[predicate_macro]() }};
    insert into {{ target }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }} from {{ source }}
    {%- if order_by %} order by {{ order_by }}{% endif %}
{%- endmacro %}


{#- The orchestrator's table of loads to transform (orchestration/incremental.py owns the rest of the schema). -#}
{% macro ensure_pending_loads() -%}
    create schema if not exists openfit_state;
    create table if not exists openfit_state.pending_loads (load_id varchar);
    create table if not exists openfit_state.changed_athletes (athlete_id varchar)
{%- endmacro %}


{#- The loads to transform: a predicate on a `load_id` column. As a literal list (a build has a few loads), so
    DuckDB pushes it through the staging views and unions down to each raw table's `_dlt_load_id`, whose zone
    maps skip the history: on 20 x 730 finding a new day's metric rows took 5.0 s with a subquery, 0.17 s so. -#}
{% macro pending_load_filter(column='load_id') -%}
    {%- set pending = source('openfit_state', 'pending_loads') -%}
    {%- set values = literal_list('select load_id from ' ~ pending) -%}
    {%- if values is none -%}
        {{ column }} in (select load_id from {{ pending }})
    {%- else -%}
        {{ column }} in {{ values }}
    {%- endif -%}
{%- endmacro %}


{#- Values of one column of a small relation, as a SQL list literal; null when there are more than `limit`
    (then callers fall back to a subquery). Literal lists let DuckDB push the filter through views and unions
    down to the raw table scans, where the zone maps skip everything else. -#}
{% macro literal_list(query, limit=5000) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set values = run_query(query).columns[0].values() -%}
    {%- if values | length > limit -%}{{ return(none) }}{%- endif -%}
    {%- set quoted = [] -%}
    {%- for value in values if value is not none -%}
        {%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
    {%- endfor -%}
    {{ return("(" ~ (quoted | join(', ') if quoted else 'null') ~ ")") }}
{%- endmacro %}


{#- The changed activities (old and new ids) as a predicate on `column`. -#}
{% macro changed_activities_predicate(column='activity_id') -%}
    {%- set changed = ref('int_changed_activities') -%}
    {%- set values = literal_list('select activity_id from ' ~ changed) -%}
    {%- if values is none -%}
        {{ column }} in (select activity_id from {{ changed }})
    {%- else -%}
        {{ column }} in {{ values }}
    {%- endif -%}
{%- endmacro %}


{#- The changed metric windows (per athlete, the time span of its new rows) as a predicate on the columns
    athlete_id and ts. -#}
{% macro changed_metric_windows_predicate() -%}
    {%- if not execute -%}{{ return('false') }}{%- endif -%}
    {%- set rows = run_query('select athlete_id, ts_from, ts_to from ' ~ ref('int_changed_metric_windows')).rows -%}
    {%- if rows | length == 0 -%}
        false
    {%- else -%}
        ({%- for row in rows -%}
        (athlete_id = '{{ row[0] | replace("'", "''") }}'
            and ts between timestamptz '{{ row[1] }}' and timestamptz '{{ row[2] }}')
        {{- " or " if not loop.last }}
        {%- endfor -%})
    {%- endif -%}
{%- endmacro %}


{#- The athletes whose tables and marts this build recomputes, as a predicate on `column`: the openfit layer's
    (int_changed_athletes: the athletes of the pending loads' rows) or the marts' (int_marts_athletes: those,
    or every athlete when the marts' as-of date moved). '*' in the set means every athlete. -#}
{% macro athletes_predicate(relation, column='athlete_id') -%}
    {%- set values = literal_list('select athlete_id from ' ~ relation) -%}
    {%- if values is none -%}
        ({{ column }} in (select athlete_id from {{ relation }})
            or exists (select 1 from {{ relation }} where athlete_id = '*'))
    {%- elif "'*'" in values -%}
        true
    {%- else -%}
        {{ column }} in {{ values }}
    {%- endif -%}
{%- endmacro %}

{#- The per-athlete replace predicates and the model that holds each one's athletes (also read by the data tests'
    scope, default__get_where_subquery below). -#}
{% macro athlete_scope_models() -%}
    {{ return({
        'changed_athletes_predicate': 'int_changed_athletes',
        'marts_athletes_predicate': 'int_marts_athletes',
    }) }}
{%- endmacro %}

{% macro changed_athletes_predicate(column='athlete_id') -%}
    {{ athletes_predicate(ref(athlete_scope_models()['changed_athletes_predicate']), column) }}
{%- endmacro %}

{% macro marts_athletes_predicate(column='athlete_id') -%}
    {{ athletes_predicate(ref(athlete_scope_models()['marts_athletes_predicate']), column) }}
{%- endmacro %}

{#- The sleep sessions of the changed athletes, as a predicate on sleep_id (openfit.sleep_stages has no athlete). -#}
{% macro changed_sleep_predicate(column='sleep_id') -%}
    {{ column }} in (select sleep_id from {{ ref('int_sleep_sessions_unioned') }} where {{ changed_athletes_predicate() }})
{%- endmacro %}


{#- A data test checks the rows this build wrote: on a table that an incremental build replaces per athlete (its
    replace_predicate is the changed athletes' or the marts' athletes'), only those athletes' rows; other rows
    were checked when they were written. On a full build the set is every athlete ('*'). Overrides dbt's
    get_where_subquery, so the scope comes from each model's own config and a test's `where` still applies.
    The scope tables are found in the graph, not ref()'d: a test may not add dependencies at run time. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set clauses = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do clauses.append('(' ~ where ~ ')') -%}{%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ relation.identifier) if execute else none -%}
    {%- set predicate = node.config.get('replace_predicate') if node and node.schema == relation.schema else none -%}
    {%- set scope_model = athlete_scope_models().get(predicate) if predicate else none -%}
    {%- set scope = graph.nodes.get('model.' ~ project_name ~ '.' ~ scope_model) if scope_model else none -%}
    {%- if scope -%}
        {%- do clauses.append(athletes_predicate(scope.schema ~ '.' ~ scope.alias)) -%}
    {%- endif -%}
    {%- if clauses -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ clauses | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
