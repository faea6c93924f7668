{#- Portable date functions (README.md of this folder). -#}

{#-
    One row per day from `first_day` to `last_day` (dates, both included), as a set-returning date
    expression of the select list: `select ..., {{ date_series('a', 'b') }} as d from t`. Not to be
    nested in another expression (Spark refuses a generator inside one).
-#}
{% macro date_series(first_day, last_day) -%}
    {%- if adapter is not defined -%}{{ return(duckdb__date_series(first_day, last_day)) }}{%- endif -%}
    {{ return(adapter.dispatch('date_series', 'massar')(first_day, last_day)) }}
{%- endmacro %}

{% macro duckdb__date_series(first_day, last_day) -%}
    cast(unnest(generate_series({{ first_day }}, {{ last_day }}, interval 1 day)) as date)
{%- endmacro %}

{% macro default__date_series(first_day, last_day) -%}
    explode(sequence({{ first_day }}, {{ last_day }}, interval 1 day))
{%- endmacro %}


{#- The ISO day of the week of a date: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_weekday(date_expr) -%}
    {%- if adapter is not defined -%}{{ return(duckdb__iso_weekday(date_expr)) }}{%- endif -%}
    {{ return(adapter.dispatch('iso_weekday', 'massar')(date_expr)) }}
{%- endmacro %}

{% macro duckdb__iso_weekday(date_expr) -%}
    isodow({{ date_expr }})
{%- endmacro %}

{% macro default__iso_weekday(date_expr) -%}
    extract(dayofweek_iso from {{ date_expr }})
{%- endmacro %}


{#-
    The date `days` days after `date_expr` (before it when negative), a date; null for a null date.
    (dbt's dateadd on Spark fails on a null date: it asserts its argument is not null.)
-#}
{% macro add_days(date_expr, days) -%}
    {%- if adapter is not defined -%}{{ return(duckdb__add_days(date_expr, days)) }}{%- endif -%}
    {{ return(adapter.dispatch('add_days', 'massar')(date_expr, days)) }}
{%- endmacro %}

{% macro duckdb__add_days(date_expr, days) -%}
    cast({{ date_expr }} + interval ({{ days }}) day as date)
{%- endmacro %}

{% macro spark__add_days(date_expr, days) -%}
    date_add({{ date_expr }}, {{ days }})
{%- endmacro %}

{% macro default__add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}
