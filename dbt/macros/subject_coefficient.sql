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
