{#- Fails for every non-null value outside [min_value, max_value] (inclusive; either bound optional).
    Used for physiological plausibility (HR 25-250 bpm, power 0-2500 W, ...); the spec generator reads the bounds. -#}
{% test in_range(model, column_name, min_value=none, max_value=none) %}
select *
from {{ model }}
where {{ column_name }} is not null
  and (
    {%- if min_value is not none %} {{ column_name }} < {{ min_value }}{% else %} false{% endif %}
    or
    {%- if max_value is not none %} {{ column_name }} > {{ max_value }}{% else %} false{% endif %}
  )
{% endtest %}
