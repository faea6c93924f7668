{#-
    Every non-null value of the column is a mark on the Moroccan grading scale: between 0 and
    var('grade_scale_max') (20), the one definition of the scale for the marts' grades and averages.
-#}
{% test on_grade_scale(model, column_name) %}

{% set guards = 'A mark or an average stays on the 0-' ~ var('grade_scale_max') ~ ' grading scale.' %}
{% set on_failure -%}
    Do not publish. Find the rows beyond the scale (their grades or coefficients in the lake), fix the
    model or the contract that let them through, rebuild.
{%- endset %}
{{ config(meta={'guards': guards, 'on_failure': on_failure.split() | join(' ')}) }}

{{ test_accepted_range(model, column_name, min_value=0, max_value=var('grade_scale_max')) }}

{% endtest %}
