{#-
    Averages as Massar shows them: to two decimals, rounded half up (a value exactly half-way goes up:
    10.395 -> 10.40), computed in exact decimal arithmetic so that the rounding never depends on the order
    of floating-point sums (10.3984375 computed as 10.398437499999998 still gives 10.40).

    exact(value): a value as an exact decimal (4 decimals: marks, coefficients and weights are quoted
    with at most 2; a double such as 12.3 becomes exactly 12.3000).
-#}
{% macro exact(value) -%}
    cast({{ value }} as decimal(38, 4))
{%- endmacro %}


{#-
    numerator / denominator (exact decimals, both >= 0), rounded half up to `decimals` decimals with
    integer arithmetic: floor((2 x 10^d x n + m) / (2 x m)) / 10^d on the two scaled to integers
    (macros big_integer_type and integer_divide of macros/portable).
    Returned as the double of that decimal value (one correctly rounded division: the same double as the
    literal 10.40); null when the denominator is null or 0.
-#}
{% macro round_half_up_ratio(numerator, denominator, decimals=2) -%}
    {%- set scale = 10 ** 10 -%}
    {%- set big = big_integer_type() -%}
    {%- set n = 'cast(cast(' ~ numerator ~ ' as decimal(38, 10)) * ' ~ scale ~ ' as ' ~ big ~ ')' -%}
    {%- set m = 'cast(cast(' ~ denominator ~ ' as decimal(38, 10)) * ' ~ scale ~ ' as ' ~ big ~ ')' -%}
    (
        cast(
            {{ integer_divide('2 * ' ~ (10 ** decimals) ~ ' * ' ~ n ~ ' + ' ~ m, 'nullif(2 * ' ~ m ~ ', 0)') }}
            as double
        ) / {{ 10 ** decimals }}
    )
{%- endmacro %}


{#-
    Weighted mean of the present parts, exact and rounded half up to `decimals` decimals:
    sum(weight x value) / sum(weight) over the parts whose value is not null; null when all are null.
    parts: list of (value SQL, weight SQL); values and weights are read as exact decimals.
-#}
{% macro rounded_weighted_mean_of_present(parts, decimals=2) -%}
    {%- set numerator -%}
        {% for value, weight in parts -%}
            coalesce({{ exact(value) }} * {{ exact(weight) }}, 0){{ " + " if not loop.last }}
        {%- endfor %}
    {%- endset -%}
    {%- set denominator -%}
        {% for value, weight in parts -%}
            case when {{ value }} is not null then {{ exact(weight) }} else 0 end{{ " + " if not loop.last }}
        {%- endfor %}
    {%- endset -%}
    {{ round_half_up_ratio(numerator, denominator, decimals) }}
{%- endmacro %}


{#-
    Sum of a double column (amounts, hours: at most 4 decimals) as an exact decimal sum, returned as a
    double: the same value whatever the order the rows are summed in (a float sum depends on it).
    condition: optional filter of the aggregate.
-#}
{% macro exact_sum(value, condition=none) -%}
    cast(sum({{ exact(value) }}){% if condition %} filter (where {{ condition }}){% endif %} as double)
{%- endmacro %}
