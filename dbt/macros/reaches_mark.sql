{#-
    Whether an average reaches a mark (promotion threshold, certificate pass mark). The averages of the
    marts are rounded half up to 2 decimals in exact arithmetic (macros/rounded_average.sql), so the
    comparison is exact: 10.00 reaches 10 in every build, 9.99 never does.
-#}
{% macro reaches_mark(average, mark) -%}
    {{ average }} >= {{ mark }}
{%- endmacro %}
