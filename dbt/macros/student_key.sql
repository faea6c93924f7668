{#-
    The pseudonymous pupil key used in every analyst mart: the first 16 hex characters of
    sha256(salt || student_code), salt = var('pseudonym_salt'). Stable across school years for the
    same pupil and salt; not reversible without the salt.
-#}
{% macro student_key(student_code) -%}
    substr({{ sha256_hex(massar_string_literal(var('pseudonym_salt')) ~ ' || ' ~ student_code) }}, 1, 16)
{%- endmacro %}


{#- A SQL string literal for a Jinja string (single quotes doubled). -#}
{% macro massar_string_literal(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}
