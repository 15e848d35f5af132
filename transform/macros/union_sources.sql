{#- UNION ALL of several per-source relations, selecting the same named columns from each.
    The intermediate layer's union point: a new source (stg_fit__*, stg_strava__*, stg_oura__*) is one more
    relation in the list, and a missing column fails loudly at compile time rather than shifting positions. -#}
{% macro union_sources(relations, columns) -%}
    {%- for relation in relations %}
    select {{ columns | join(', ') }} from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
