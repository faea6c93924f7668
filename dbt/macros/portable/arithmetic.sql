{#- Portable exact integer arithmetic (README.md of this folder). -#}

{#- An integer type wide enough for decimal(38, 10) values scaled by 10^10. -#}
{% macro big_integer_type() -%}
    {%- if adapter is not defined -%}{{ return(duckdb__big_integer_type()) }}{%- endif -%}
    {{ return(adapter.dispatch('big_integer_type', 'massar')()) }}
{%- endmacro %}

{% macro duckdb__big_integer_type() -%}
    {{ return('hugeint') }}
{%- endmacro %}

{#- Spark has no 128-bit integer: a decimal without fraction digits. -#}
{% macro default__big_integer_type() -%}
    {{ return('decimal(38, 0)') }}
{%- endmacro %}


{#- The integer quotient of two non-negative integers (floor of the division); null when one is null. -#}
{% macro integer_divide(dividend, divisor) -%}
    {%- if adapter is not defined -%}{{ return(duckdb__integer_divide(dividend, divisor)) }}{%- endif -%}
    {{ return(adapter.dispatch('integer_divide', 'massar')(dividend, divisor)) }}
{%- endmacro %}

{% macro duckdb__integer_divide(dividend, divisor) -%}
    ({{ dividend }}) // ({{ divisor }})
{%- endmacro %}

{#- Spark's `div` truncates toward zero (the floor for non-negative operands) and returns a bigint. -#}
{% macro default__integer_divide(dividend, divisor) -%}
    (({{ dividend }}) div ({{ divisor }}))
{%- endmacro %}
