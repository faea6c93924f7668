{#-
    Every non-null value of the column is a percentage: between 0 and 100.
-#}
{% test is_percentage(model, column_name) %}

{% set guards = 'A rate or a share stays between 0 and 100 (a percentage).' %}
{% set on_failure -%}
    Do not publish. A rate beyond 0-100 has a numerator larger than its denominator: fix the model
    (its filters or its join), rebuild.
{%- endset %}
{{ config(meta={'guards': guards, 'on_failure': on_failure.split() | join(' ')}) }}

{{ test_accepted_range(model, column_name, min_value=0, max_value=100) }}

{% endtest %}
