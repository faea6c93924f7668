{#- Portable string functions (README.md of this folder). -#}

{#- The SHA-256 digest of a text, as 64 lowercase hex characters. -#}
{% macro sha256_hex(text_expr) -%}
    {%- if adapter is not defined -%}{{ return(duckdb__sha256_hex(text_expr)) }}{%- endif -%}
    {{ return(adapter.dispatch('sha256_hex', 'massar')(text_expr)) }}
{%- endmacro %}

{% macro duckdb__sha256_hex(text_expr) -%}
    sha256({{ text_expr }})
{%- endmacro %}

{% macro default__sha256_hex(text_expr) -%}
    sha2({{ text_expr }}, 256)
{%- endmacro %}


{#-
    The text at `json_path` (a SQL string literal such as '$.student_code') of a JSON text; null if
    absent. A text that is not JSON: DuckDB fails, Spark returns null.
-#}
{% macro json_text(json_expr, json_path) -%}
    {%- if adapter is not defined -%}{{ return(duckdb__json_text(json_expr, json_path)) }}{%- endif -%}
    {{ return(adapter.dispatch('json_text', 'massar')(json_expr, json_path)) }}
{%- endmacro %}

{% macro duckdb__json_text(json_expr, json_path) -%}
    json_extract_string({{ json_expr }}, {{ json_path }})
{%- endmacro %}

{% macro default__json_text(json_expr, json_path) -%}
    get_json_object({{ json_expr }}, {{ json_path }})
{%- endmacro %}


{#-
    Whether the whole text matches the regular expression `pattern` (a Jinja string, without anchors:
    the macro anchors it; no quote or backslash in it).
-#}
{% macro regex_full_match(text_expr, pattern) -%}
    {%- if adapter is not defined -%}{{ return(duckdb__regex_full_match(text_expr, pattern)) }}{%- endif -%}
    {{ return(adapter.dispatch('regex_full_match', 'massar')(text_expr, pattern)) }}
{%- endmacro %}

{% macro duckdb__regex_full_match(text_expr, pattern) -%}
    regexp_full_match({{ text_expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro default__regex_full_match(text_expr, pattern) -%}
    ({{ text_expr }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}


{#-
    The name of the folder that follows folder `parent` in a file path (Windows or POSIX separators),
    for example the entity of a lake file from its path: path_folder_after('filename', '_deletions').
    Empty text when the path has no such folder. `parent`: a Jinja string, letters, digits and _ only.
-#}
{% macro path_folder_after(path_expr, parent) -%}
    {%- if adapter is not defined -%}{{ return(duckdb__path_folder_after(path_expr, parent)) }}{%- endif -%}
    {{ return(adapter.dispatch('path_folder_after', 'massar')(path_expr, parent)) }}
{%- endmacro %}

{#- DuckDB string literals have no escapes: '\' is one backslash. -#}
{% macro duckdb__path_folder_after(path_expr, parent) -%}
    regexp_extract(replace({{ path_expr }}, '\', '/'), '{{ parent }}/([^/]+)/', 1)
{%- endmacro %}

{#- Spark SQL string literals take backslash escapes: '\\' is one backslash. -#}
{% macro default__path_folder_after(path_expr, parent) -%}
    regexp_extract(replace({{ path_expr }}, '\\', '/'), '{{ parent }}/([^/]+)/', 1)
{%- endmacro %}
