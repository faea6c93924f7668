{#-
    The combination of the given columns is unique in the model (a composite primary key).
    Fails with one row per duplicated combination. dbt_utils' test of the same name and arguments,
    hand-written (dbt/README.md).
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with

grouped as (

    select
        {{ combination_of_columns | join(',\n        ') }},
        count(*) as n_rows

    from {{ model }}

    group by {{ combination_of_columns | join(', ') }}

)

select * from grouped

where n_rows > 1

{% endtest %}
