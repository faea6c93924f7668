{#-
    Whether an average reaches a mark (promotion threshold, certificate pass mark), as the class council
    and the exam board read it: on the average printed on the report card, rounded to
    var('average_decimals') decimals. Comparing the raw float instead judges a pupil whose average is
    exactly the mark by the order of the float sums that computed it (10/20 can come out as
    9.999999999999998: seen at 1 M pupils, where DuckDB and pandas disagreed on a few pupils per region).
-#}
{% macro reaches_mark(average, mark) -%}
    round({{ average }}, {{ var('average_decimals') }}) >= {{ mark }}
{%- endmacro %}
