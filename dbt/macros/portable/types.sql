{#-
    Portable types (README.md of this folder). DuckDB's `varchar` has no length; Spark SQL accepts
    `varchar` only with a length (`varchar(n)`) and calls the unbounded text type `string`.
-#}

{#- The unbounded text type, for casts. -#}
{% macro string_type() -%}
    {%- if adapter is not defined -%}{{ return(duckdb__string_type()) }}{%- endif -%}
    {{ return(adapter.dispatch('string_type', 'massar')()) }}
{%- endmacro %}

{% macro duckdb__string_type() -%}
    {{ return('varchar') }}
{%- endmacro %}

{% macro default__string_type() -%}
    {{ return(dbt.type_string()) }}
{%- endmacro %}


{#-
    A type name written in DuckDB's spelling (as in the sources' `data_type`), in the target's:
    `varchar` becomes string_type(); the other names (bigint, double, date, timestamp, boolean ...)
    are common to the engines.
-#}
{% macro portable_type(type_name) -%}
    {%- if (type_name | string | trim | lower) in ['varchar', 'text', 'string'] -%}
        {{ return(string_type()) }}
    {%- else -%}
        {{ return(type_name) }}
    {%- endif -%}
{%- endmacro %}
