{#- Fails for every timestamp later than now plus a small clock-skew allowance. The failing rows are returned
    whole, so their ids name the athletes to withhold (orchestration/withholding.py). -#}
{% test not_in_future(model, column_name, allowance='1 day') %}
select *
from {{ model }}
where {{ column_name }} > now() + interval '{{ allowance }}'
{% endtest %}
