{#-
    Whether an average reaches a mark (promotion threshold, certificate pass mark), compared on the average
    rounded to var('average_compare_decimals') (6) decimals. Comparing the raw float judges a pupil whose
    average is exactly the mark by the order of the float sums that computed it: 10/20 can come out as
    9.999999999999998 (seen at 1 M pupils, where the marts and the engine floor disagreed on a few pupils
    per region). Six decimals remove that noise (about 1e-15) and nothing real: an average of one-decimal
    grades with small integer coefficients and weights differs from a mark by 1e-4 or more. Rounding to the
    2 printed decimals would not do: 9.995 (exact, below the mark) then falls on either side by the same
    float noise.
-#}
{% macro reaches_mark(average, mark) -%}
    round({{ average }}, {{ var('average_compare_decimals') }}) >= {{ mark }}
{%- endmacro %}
