{#-
    Whether the glob of a lake source (the first argument of its read_parquet external_location)
    matches at least one file. DuckDB's read_parquet fails on a glob that matches nothing; models
    over folders that may be empty (quarantine, load log) use this to select an empty, typed relation
    instead. Returns true at parse time (no database connection) so that dbt records the source().
-#}
{% macro lake_source_has_files(relation) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set match = modules.re.search("read_parquet\\(\\s*'([^']+)'", relation.external or '') -%}
    {%- if match is none -%}
        {{ exceptions.raise_compiler_error(
            "lake_source_has_files: " ~ relation ~ " has no read_parquet('<glob>', ...) external_location"
        ) }}
    {%- endif -%}
    {%- set pattern = match.group(1) -%}
    {%- set result = run_query("select count(*) from glob(" ~ massar_string_literal(pattern) ~ ")") -%}
    {{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}
