{#- Fails for every group of `columns` whose boolean `flag` is true in zero or in more than one row (e.g. exactly one
    chosen value per athlete, date and metric). -#}
{% test exactly_one_true_per_group(model, flag, columns) %}
select {{ columns | join(', ') }}, count(*) filter (where {{ flag }}) as flagged
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) filter (where {{ flag }}) <> 1
{% endtest %}
