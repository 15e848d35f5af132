{#- Fails for every timestamp later than now plus a small clock-skew allowance. -#}
{% test not_in_future(model, column_name, allowance='1 day') %}
select {{ column_name }} as future_value
from {{ model }}
where {{ column_name }} > now() + interval '{{ allowance }}'
{% endtest %}
