{#- The daily wellness metrics that get one chosen value per athlete and day, in spec column order, as declared
    once in dbt_project.yml (vars.daily_metrics). -#}
{% macro daily_metrics() -%}
    {{ return(var('daily_metrics')) }}
{%- endmacro %}
