{#-
    Values of a column lie within [min_value, max_value] (either bound optional, a missing bound compares
    as null, i.e. never fails; nulls pass, bounds inclusive). The same test name and arguments as dbt_utils'.
    Hand-written because the project installs no dbt package (dbt/README.md: no dbt Hub, dbt_utils not on
    PyPI). The one range test of the project: is_percentage and on_grade_scale call it.
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}

with

checked as (

    select {{ column_name }} as checked_value

    from {{ model }}

    where {{ column_name }} is not null

)

select * from checked

where
    checked_value < {{ 'null' if min_value is none else min_value }}
    or checked_value > {{ 'null' if max_value is none else max_value }}

{% endtest %}
