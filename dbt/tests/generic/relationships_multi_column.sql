{#-
    Composite foreign key: every non-null combination of `columns` in the model exists as a
    combination of `to_columns` in the `to` relation (for example (school_year, school_code)).
    Rows with a null in any of the columns are not checked (not_null tests cover them).
-#}
{% test relationships_multi_column(model, columns, to, to_columns) %}

with

child as (

    select distinct
        {%- for column in columns %}
        {{ column }} as key_{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ model }}

    where
        {%- for column in columns %}
        {{ "and " if not loop.first }}{{ column }} is not null
        {%- endfor %}

),

parent as (

    select distinct
        {%- for column in to_columns %}
        {{ column }} as key_{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ to }}

),

orphans as (

    select child.*

    from child

    left join parent
        on
        {%- for column in columns %}
            {{ "and " if not loop.first }}child.key_{{ loop.index }} = parent.key_{{ loop.index }}
        {%- endfor %}

    where parent.key_1 is null

)

select * from orphans

{% endtest %}
