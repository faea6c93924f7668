{#-
    A boolean SQL expression holds on every row of the model. Fails with the rows where it is
    false or null.
-#}
{% test expression_is_true(model, expression) %}

select *

from {{ model }}

where not coalesce(({{ expression }}), false)

{% endtest %}
