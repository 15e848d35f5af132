{#- A source table that may not exist yet (an optional provider that never loaded: no file imported, Strava not
    connected) or may lack columns (raw_files tables only have the columns some loaded file had).

    optional_source('raw_files', 'fit_session', {'start_time': 'timestamptz', 'sport': 'varchar'})
    renders a parenthesised select of exactly those columns, cast to those types: present columns are read,
    absent ones are typed nulls, and a missing table gives zero rows. The source() call keeps the lineage.
    Columns are matched case-insensitively; extra raw columns are ignored. -#}
{% macro optional_source(source_name, table_name, columns) -%}
    {%- set declared = source(source_name, table_name) -%}
    {%- set present = [] -%}
    {%- set relation = none -%}
    {%- if execute -%}
        {%- set relation = adapter.get_relation(
            database=declared.database, schema=declared.schema, identifier=declared.identifier) -%}
        {%- if relation is not none -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do present.append(column.name | lower) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    (
        select
        {%- for name, data_type in columns.items() %}
            {% if name | lower in present -%}
                cast({{ adapter.quote(name) }} as {{ data_type }})
            {%- else -%}
                cast(null as {{ data_type }})
            {%- endif %} as {{ adapter.quote(name) }}{{ "," if not loop.last }}
        {%- endfor %}
        {% if relation is not none -%}
        from {{ declared }}
        {%- else -%}
        where false  -- {{ declared }} does not exist yet
        {%- endif %}
    )
{%- endmacro %}

{#- The value when it lies in [low, high], else null: an impossible reading is dropped, not loaded as truth. -#}
{% macro within(expression, low, high) -%}
    case when ({{ expression }}) between {{ low }} and {{ high }} then ({{ expression }}) end
{%- endmacro %}

{#- 'running' -> 'Running' (a default activity name from a sport). -#}
{% macro sentence_case(expression) -%}
    (upper(left({{ expression }}, 1)) || substr({{ expression }}, 2))
{%- endmacro %}
