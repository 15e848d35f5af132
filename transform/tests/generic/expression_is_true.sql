{#- Fails for every row where the boolean `expression` is false (nulls in the expression pass, as SQL checks do). -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}
