{#- Portable aggregate functions (README.md of this folder). -#}

{#- The value of `value` on the row where `ordering` is largest (an arbitrary one of tied rows). -#}
{% macro value_at_max(value, ordering) -%}
    {%- if adapter is not defined -%}{{ return(duckdb__value_at_max(value, ordering)) }}{%- endif -%}
    {{ return(adapter.dispatch('value_at_max', 'massar')(value, ordering)) }}
{%- endmacro %}

{% macro duckdb__value_at_max(value, ordering) -%}
    arg_max({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro default__value_at_max(value, ordering) -%}
    max_by({{ value }}, {{ ordering }})
{%- endmacro %}


{#- The value of `value` on the row where `ordering` is smallest (an arbitrary one of tied rows). -#}
{% macro value_at_min(value, ordering) -%}
    {%- if adapter is not defined -%}{{ return(duckdb__value_at_min(value, ordering)) }}{%- endif -%}
    {{ return(adapter.dispatch('value_at_min', 'massar')(value, ordering)) }}
{%- endmacro %}

{% macro duckdb__value_at_min(value, ordering) -%}
    arg_min({{ value }}, {{ ordering }})
{%- endmacro %}

{% macro default__value_at_min(value, ordering) -%}
    min_by({{ value }}, {{ ordering }})
{%- endmacro %}


{#-
    The distinct non-null values of `value` (text), sorted ascending, joined by `delimiter` (a SQL
    string literal); null when there is none. dbt's listagg has no DISTINCT and ignores the order on
    Spark, hence this macro.
-#}
{% macro sorted_distinct_join(value, delimiter) -%}
    {%- if adapter is not defined -%}{{ return(duckdb__sorted_distinct_join(value, delimiter)) }}{%- endif -%}
    {{ return(adapter.dispatch('sorted_distinct_join', 'massar')(value, delimiter)) }}
{%- endmacro %}

{% macro duckdb__sorted_distinct_join(value, delimiter) -%}
    string_agg(distinct {{ value }}, {{ delimiter }} order by {{ value }})
{%- endmacro %}

{% macro default__sorted_distinct_join(value, delimiter) -%}
    nullif(array_join(array_sort(collect_set({{ value }})), {{ delimiter }}), '')
{%- endmacro %}
