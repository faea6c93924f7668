{#- Portable relation operations (README.md of this folder). -#}

{#-
    A select of every column of `relation` plus, for each (name, type) of `columns` that the relation
    lacks, a null column of that type (for a lake folder whose older files predate a column). Columns
    the relation has keep their values. `type`: a DuckDB type name (portable_type translates it).
    `relation` none (for example a lake folder without any file): an empty relation of those columns.
-#}
{% macro with_columns(relation, columns) -%}
    {%- if adapter is not defined -%}{{ return(duckdb__with_columns(relation, columns)) }}{%- endif -%}
    {{ return(adapter.dispatch('with_columns', 'massar')(relation, columns)) }}
{%- endmacro %}

{#- DuckDB: UNION ALL BY NAME with a typed empty relation adds the missing columns. -#}
{% macro duckdb__with_columns(relation, columns) -%}
    {%- if relation is not none %}
    select * from {{ relation }}
    union all by name
    {%- endif %}
    select
        {%- for name, type in columns %}
        cast(null as {{ portable_type(type) }}) as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    where false
{%- endmacro %}

{#- Engines without UNION BY NAME: the relation's columns are read from the catalog when dbt runs. -#}
{% macro default__with_columns(relation, columns) -%}
    {%- if relation is none -%}
        {{ duckdb__with_columns(none, columns) }}
    {%- else -%}
        {%- set present = [] -%}
        {%- if execute -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do present.append(column.name | lower) -%}
            {%- endfor -%}
        {%- endif %}
    select
        *
        {%- for name, type in columns if (name | lower) not in present %},
        cast(null as {{ portable_type(type) }}) as {{ name }}
        {%- endfor %}
    from {{ relation }}
    {%- endif -%}
{%- endmacro %}
