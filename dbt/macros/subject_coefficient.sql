{#-
    Coefficient of a subject for a level and stream (seed subject_coefficients): the stream-specific
    row, else the level's row for every stream (empty stream_code), else var('default_subject_coefficient').
-#}
{% macro subject_coefficient(level_code, stream_code, subject_code) -%}
    coalesce(
        (
            select max(coefficients.coefficient)
            from {{ ref('subject_coefficients') }} as coefficients
            where
                coefficients.level_code = {{ level_code }}
                and coefficients.subject_code = {{ subject_code }}
                and coefficients.stream_code = {{ stream_code }}
        ),
        (
            select max(coefficients.coefficient)
            from {{ ref('subject_coefficients') }} as coefficients
            where
                coefficients.level_code = {{ level_code }}
                and coefficients.subject_code = {{ subject_code }}
                and coefficients.stream_code is null
        ),
        {{ var('default_subject_coefficient') }}
    )
{%- endmacro %}


{#-
    Weighted mean of the non-null parts: sum(weight x value) / sum(weight) over the parts whose value is
    not null; null when every part is null. parts: list of (value SQL, weight SQL).
-#}
{% macro weighted_mean_of_present(parts) -%}
    (
        {% for value, weight in parts -%}
            coalesce({{ value }} * {{ weight }}, 0){{ " + " if not loop.last }}
        {%- endfor %}
    ) / nullif(
        {% for value, weight in parts -%}
            case when {{ value }} is not null then {{ weight }} else 0 end{{ " + " if not loop.last }}
        {%- endfor %},
        0
    )
{%- endmacro %}
