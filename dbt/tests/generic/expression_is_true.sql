{#-
    A boolean SQL expression holds on every row of the model. Fails with the rows where it is
    false or null. dbt_utils' test of the same name and arguments, hand-written (dbt/README.md).
-#}
{% test expression_is_true(model, expression) %}

select *

from {{ model }}

where not coalesce(({{ expression }}), false)

{% endtest %}
