{#- Fails for every value outside the [min_value, max_value] of its row in a lookup (a seed), matched on `key`:
    e.g. openfit.metrics.value must lie in the range of its metric in seeds/metric_types.csv. -#}
{% test in_range_of_lookup(model, column_name, to, key) %}
select measured.{{ key }}, measured.{{ column_name }} as out_of_range_value
from (select * from {{ model }}) as measured
inner join {{ to }} as lookup
    on lookup.{{ key }} = measured.{{ key }}
where measured.{{ column_name }} < lookup.min_value
   or measured.{{ column_name }} > lookup.max_value
{% endtest %}
